// The broker's side of SECURITY.md: CURVE and ZAP on its socket, and every message checked
// against the role of the key its connection authenticated with.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker_core.hpp"
#include "security/access_rules.hpp"
#include "shoal/broker/broker_error.hpp"
#include "shoal/broker/config_loader.hpp"
#include "shoal/proto/curve_keys.hpp"

namespace shoal::broker {

namespace {

bool is_loopback(const std::string& endpoint) {
    return endpoint.rfind("tcp://127.", 0) == 0 || endpoint.rfind("tcp://localhost:", 0) == 0 ||
           endpoint.rfind("tcp://[::1]", 0) == 0 || endpoint.rfind("ipc://", 0) == 0 ||
           endpoint.rfind("inproc://", 0) == 0;
}

std::unordered_set<std::string> user_ids_of(const key_registry& keys) {
    std::unordered_set<std::string> out;
    keys.for_each([&](const principal& who) { out.insert(who.user_id()); });
    return out;
}

}  // namespace

void broker_core::open_security(router_port& router) {
    if (const std::string why = settings_together_problem(config_); !why.empty()) {
        throw broker_error(why);
    }
    if (config_.secret_key.empty()) {
        spdlog::warn(
            "shoal-broker: no key configured: the broker is open to anyone who can reach {}{}",
            config_.bind,
            is_loopback(config_.bind) ? " (loopback only)"
                                      : "; set secret_key and keys_dir (SECURITY.md)");
        return;
    }
    proto::key_pair own;
    key_registry keys;
    try {
        own = proto::read_secret_key_file(config_.secret_key);
        keys = key_registry::load(config_.keys_dir);
    } catch (const std::exception& e) {
        throw broker_error(fmt::format("security: {}", e.what()));
    }
    authorised_users_ = user_ids_of(keys);
    spdlog::info("shoal-broker: CURVE on; {} client, {} worker and {} admin keys from {}",
                 keys.count(key_role::client), keys.count(key_role::worker),
                 keys.count(key_role::admin), config_.keys_dir);
    try {
        zap_ = std::make_unique<zap_handler>(*context_, std::move(keys), router.socket());
        router.require_curve(own.secret_key, zap_domain);
    } catch (const std::exception& e) {
        zap_.reset();
        throw broker_error(fmt::format("security: cannot start authentication: {}", e.what()));
    }
}

void broker_core::reload_keys() { end_removed_sessions(replace_keys()); }

broker_core::key_reload broker_core::replace_keys() {
    if (!zap_) throw broker_error("reload_keys: this broker has no key (it is open)");
    key_registry keys;
    try {
        keys = key_registry::load(config_.keys_dir);
    } catch (const std::exception& e) {
        throw broker_error(fmt::format("reload_keys: {} (the keys in use stay)", e.what()));
    }
    authorised_users_ = user_ids_of(keys);
    key_reload done{keys.count(key_role::client),
                    keys.count(key_role::worker),
                    keys.count(key_role::admin),
                    {}};
    spdlog::info("shoal-broker: keys reloaded: {} client, {} worker and {} admin keys",
                 done.clients, done.workers, done.admins);
    zap_->replace_keys(std::move(keys));
    peers_.for_each([&](peer_ref ref, const peer& p) {
        if (!authorised_users_.contains(p.user_id)) done.removed.push_back(ref);
    });
    return done;
}

void broker_core::end_removed_sessions(const key_reload& reload) {
    for (const peer_ref ref : reload.removed) {
        if (peer* p = peers_.get(ref)) {
            (void)port_->send(p->identity, proto::command::bye,
                              proto::encode(proto::bye{"key removed"}));
        }
        end_session(ref, "its key was removed");
    }
}

bool broker_core::authorised(const proto::received_message& msg, proto::command cmd, const peer* p,
                             peer_ref ref) {
    principal who;
    if (!principal::parse(msg.user_id, who) || !authorised_users_.contains(msg.user_id)) {
        // An authenticated connection whose key was removed since (or a test port without one).
        if (p != nullptr) end_session(ref, "its key is no longer authorised");
        forbid(msg.identity, nullptr, cmd,
               fmt::format("{}: this connection's key ({}) is not authorised",
                           proto::command_name(cmd), msg.user_id.empty() ? "none" : msg.user_id));
        return false;
    }
    if (p != nullptr && p->user_id != msg.user_id) {
        forbid(msg.identity, p, cmd,
               fmt::format("{}: the session belongs to another key", proto::command_name(cmd)));
        return false;
    }
    if (const auto needed = role_needed(who.role, cmd)) {
        forbid(msg.identity, p, cmd,
               fmt::format("{} needs an {} key; this connection's key is {}",
                           proto::command_name(cmd), to_string(*needed), msg.user_id));
        return false;
    }
    return true;
}

bool broker_core::may_see(const peer& p, name_id owner) const noexcept {
    return p.owner == owner || p.key == key_role::admin;
}

bool broker_core::may_see(const peer& p, std::string_view owner) const noexcept {
    return p.user_id == owner || p.key == key_role::admin;
}

name_id broker_core::owner_of(const peer& p) { return owners_.intern(p.user_id); }

void broker_core::count_authentications() {
    if (!zap_) return;
    stats_.auth_accepted = zap_->accepted();
    stats_.auth_refused = zap_->refused();
}

void broker_core::forbid(std::string_view identity, const peer* p, proto::command cmd,
                         const std::string& why) {
    ++stats_.forbidden;
    log_limited("forbidden", "ERROR forbidden to {}: {}", describe(identity, p), why);
    send_error(identity, "forbidden", why, std::nullopt, cmd);
}

}  // namespace shoal::broker
