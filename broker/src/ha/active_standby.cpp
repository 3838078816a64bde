// Active and standby brokers on one Redis (broker/README.md, "Active and standby brokers";
// PROTOCOL.md 6.7). A broker with ha_lease_ms binds and stands by: every peer that speaks to
// it is answered ERROR not_active (naming the active broker), so that clients and workers
// given a list of brokers go on to the next. Every third of the lease time it tries to take
// the lease; once it has it, it recovers queues, running, held and dead tasks and periodic
// schedules from Redis exactly as a restart does, and serves, every write fenced by its
// lease. When it can no longer be sure of the lease it stops: lease_lost, once.

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "broker_core.hpp"
#include "redis/redis_sync.hpp"
#include "shoal/broker/broker_error.hpp"

namespace shoal::broker {

std::string broker_core::ha_name() const {
    if (!config_.ha_name.empty()) return config_.ha_name;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "broker";
    return fmt::format("{}:{}", host, ::getpid());
}

void broker_core::start_standby() {
    standby_ = true;
    spdlog::info("shoal-broker: {} on {} stands by until it holds the lease ({} ms)", ha_name(),
                 endpoint_, config_.ha_lease_ms);
    // Tries go out on a connection of their own that never blocks the loop: a Redis that hangs
    // or is cut off must not keep the standby from answering its peers (not_active).
    standby_redis_ = std::make_unique<redis_connection>(
        loop_,
        redis_connection_options{redis_endpoint_of_config(), config_.redis_timeout_ms / 1000.0});
    const double first_try_at = loop_.time() + config_.ha_first_try_after_ms / 1000.0;
    standby_redis_->on_up = [this, first_try_at] {
        // The first try as soon as Redis answers (unless it just gave the lease up).
        if (loop_.time() >= first_try_at) poll_lease();
    };
    standby_redis_->start();
    // Just gave the lease up: another broker goes first.
    standby_timer_ = loop_.call_later(
        std::max(config_.ha_first_try_after_ms / 1000.0, config_.ha_lease_ms / 3000.0),
        [this] { poll_lease(); });
}

void broker_core::poll_lease() {
    if (!standby_ || lease_gone_ || port_ == nullptr || !standby_redis_) return;
    standby_timer_ = loop_.call_later(config_.ha_lease_ms / 3000.0, [this] { poll_lease(); });
    if (polling_) return;  // the last try is not answered yet
    if (!standby_redis_->is_up()) {
        log_limited("lease", "standing by; cannot reach Redis for the lease (Redis is {})",
                    standby_redis_->current() == redis_connection::state::connecting ? "connecting"
                                                                                     : "down");
        return;
    }
    redis_pipeline p;
    add_take_lease(p, ha_name(), config_.ha_lease_ms);
    // Seen by the active's `inspect brokers` (ha/broker_presence.hpp).
    p.add("HSET", presence_key, ha_name(), encode_presence("standby", wall_ms_(), endpoint_));
    polling_ = standby_redis_->send(p, [this](redis_batch_result&& r) {
        polling_ = false;
        if (!standby_ || lease_gone_) return;
        lease_view v;
        try {
            if (!r.delivered || r.replies.empty()) throw redis_error(r.failure);
            v = read_take_reply(r.replies[0]);
        } catch (const redis_error& e) {
            log_limited("lease", "standing by; cannot reach Redis for the lease: {}", e.what());
            return;
        }
        if (v.ours) {
            // Outside this connection's callback: becoming active closes the connection.
            standby_timer_ = loop_.call_later(0, [this, token = v.token] { become_active(token); });
            return;
        }
        if (v.token != lease_seen_) {
            lease_seen_ = v.token;
            spdlog::info("shoal-broker: standing by; {} is active (epoch {}, {} ms left)",
                         lease_holder(v.token), lease_epoch(v.token), v.ttl_ms);
        }
    });
}

void broker_core::answer_standby(const proto::received_message& msg) {
    if (msg.identity.empty()) return;
    proto::envelope env{};
    try {
        env = msg.parse(limits_);
    } catch (const proto::decode_error&) {
        return;
    }
    // A BYE or an ERROR needs no answer; everything else is told where to go.
    if (env.cmd == proto::command::bye || env.cmd == proto::command::error) return;
    const std::string active =
        lease_seen_.empty() ? std::string("none yet") : std::string(lease_holder(lease_seen_));
    send_error(msg.identity, "not_active",
               fmt::format("broker {} is standing by; the active broker is {}", ha_name(), active),
               std::nullopt, env.cmd);
}

void broker_core::become_active(const std::string& token) {
    standby_timer_.cancel();
    standby_redis_.reset();
    lease_token_ = token;
    spdlog::info("shoal-broker: {} took the lease (epoch {}); recovering from Redis", ha_name(),
                 lease_epoch(token));
    try {
        open_durable();
        // Recovery blocked the loop: the lease must still be ours, and is renewed from now.
        redis_sync redis(redis_endpoint_of_config(), config_.redis_timeout_ms / 1000.0);
        const lease_view v = read_lease(redis);
        if (v.token != token) throw broker_error("the lease ended while recovering");
    } catch (const std::exception& e) {
        return on_lease_lost(e.what());
    }
    lease_ = std::make_unique<lease_keeper>(loop_, redis_endpoint_of_config(),
                                            config_.redis_timeout_ms / 1000.0, token,
                                            config_.ha_lease_ms);
    lease_->lost = [this](const std::string& why) { on_lease_lost(why); };
    durable_->on_fenced = [this] { on_lease_lost("a write was fenced: the lease is another's"); };
    lease_->start();
    standby_ = false;
    standby_timer_.cancel();
    start_serving();
    refresh_presence();
}

void broker_core::refresh_presence() {
    if (standby_ || !durable_) return;
    presence_timer_ =
        loop_.call_later(config_.ha_lease_ms / 3000.0, [this] { refresh_presence(); });
    redis_pipeline p;
    p.add("HSET", presence_key, ha_name(), encode_presence("active", wall_ms_(), endpoint_));
    p.add("HGETALL", presence_key);
    (void)durable_->connection().send(p, [this](redis_batch_result&& r) {
        if (!r.delivered || r.replies.size() != 2) return;
        const std::vector<redis_reply>& fields = r.replies[1].elements;
        const std::uint64_t now = wall_ms_();
        presence_.clear();
        redis_pipeline forget;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            auto entry = decode_presence(fields[i].str, fields[i + 1].str);
            if (entry && entry->at_ms + presence_forget_ms > now) {
                presence_.push_back(std::move(*entry));
            } else {
                forget.add("HDEL", presence_key, fields[i].str);
            }
        }
        if (!forget.empty()) (void)durable_->connection().send(forget, [](redis_batch_result&&) {});
    });
}

void broker_core::on_lease_lost(const std::string& why) {
    if (lease_gone_) return;
    lease_gone_ = true;
    standby_ = true;  // from now on every peer is sent on (not_active), nothing more is served
    presence_timer_.cancel();
    spdlog::critical("shoal-broker: {} no longer holds the lease ({}); it stops serving", ha_name(),
                     why);
    // Outside whatever callback noticed it: the owner may close the broker.
    loop_.call_later(0, [this, why] {
        if (lease_lost) lease_lost(why);
    });
}

bool broker_core::step_down() {
    if (lease_token_.empty() || lease_gone_) return false;
    spdlog::info("shoal-broker: {} steps down: writing what is left, then giving up the lease",
                 ha_name());
    // Redis gets what is staged first (up to a lease time), so the next active finds it.
    finish_step_down(loop_.time() + config_.ha_lease_ms / 1000.0);
    return true;
}

void broker_core::finish_step_down(double until) {
    if (!durable_idle() && loop_.time() < until) {
        standby_timer_ = loop_.call_later(0.01, [this, until] { finish_step_down(until); });
        return;
    }
    try {
        redis_sync redis(redis_endpoint_of_config(), config_.redis_timeout_ms / 1000.0);
        (void)give_up_lease(redis, lease_token_);
    } catch (const redis_error& e) {
        spdlog::warn("shoal-broker: giving up the lease: {} (it ends on its own)", e.what());
    }
    on_lease_lost("stepped down");
}

}  // namespace shoal::broker
