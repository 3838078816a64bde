// ADMIN: operations on the broker itself, asked over SHOAL/1 (`shoal admin ACTION`). With keys,
// only an admin key gets here (access_rules.cpp); an open broker serves anyone, as it does
// PURGE. The periodic-* actions are periodic.cpp's; step-down is an active broker's planned
// hand-over of its lease (ha/active_standby.cpp).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker_core.hpp"
#include "shoal/broker/broker_error.hpp"
#include "shoal/proto/codec.hpp"

namespace shoal::broker {

namespace {
constexpr std::string_view reload_keys_action = "reload-keys";
constexpr std::string_view step_down_action = "step-down";
}  // namespace

void broker_core::on_admin(std::string_view identity, peer& p, std::string_view body) {
    const proto::admin m = proto::decode<proto::admin>(body, limits_);
    if (m.action == step_down_action) {
        spdlog::info("shoal-broker: {} asks this broker to step down",
                     p.user_id.empty() ? p.name : p.user_id);
        const std::string token = lease_token_;
        if (!step_down()) {
            send_error(identity, "failed", "this broker holds no lease (ha_lease_ms is not set)",
                       std::nullopt, proto::command::admin);
            return;
        }
        proto::report answer{
            std::string(step_down_action),
            {{{"broker", ha_name()}, {"epoch", static_cast<std::int64_t>(lease_epoch(token))}}}};
        send_windowed(p, answer);
        return;
    }
    if (m.action != reload_keys_action) return on_periodic_admin(identity, p, m);
    spdlog::info("shoal-broker: {} asks to reload the keys",
                 p.user_id.empty() ? p.name : p.user_id);
    key_reload reload;
    try {
        reload = replace_keys();
    } catch (const broker_error& e) {
        // The keys in use stay (an unreadable directory, or an open broker): the asker hears why.
        spdlog::error("shoal-broker: {}", e.what());
        send_error(identity, "failed", e.what(), std::nullopt, proto::command::admin);
        return;
    }
    auto count = [](std::size_t n) { return static_cast<std::int64_t>(n); };
    proto::report answer{std::string(reload_keys_action),
                         {{{"clients", count(reload.clients)},
                           {"workers", count(reload.workers)},
                           {"admins", count(reload.admins)},
                           {"sessions_ended", count(reload.removed.size())}}}};
    send_windowed(p, answer);
    end_removed_sessions(reload);
}

}  // namespace shoal::broker
