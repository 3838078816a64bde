#include "redis/redis_connection.hpp"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "redis/redis_sentinel.hpp"

namespace shoal::broker {

// The C callbacks hiredis calls, forwarding to the connection in the context's data.
struct redis_connection_hooks {
    static redis_connection& of(void* privdata) {
        return *static_cast<redis_connection*>(privdata);
    }

    static void on_connect(const redisAsyncContext* ac, int status) {
        if (status == REDIS_OK || ac->data == nullptr) return;
        redis_connection& c = of(ac->data);
        if (c.down_reason_.empty()) {
            c.down_reason_ =
                fmt::format("cannot connect: {}", ac->errstr != nullptr ? ac->errstr : "?");
        }
    }
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
        if (ac->data == nullptr) return;
        of(ac->data).on_reply(static_cast<redis_connection::batch*>(privdata), reply);
    }
};

redis_connection::redis_connection(event_loop& loop, redis_connection_options options)
    : loop_(loop),
      options_(std::move(options)),
      driver_(loop),
      backoff_s_(options_.min_backoff_s) {}

redis_connection::~redis_connection() { stop(); }

void redis_connection::start() {
    if (!stopped_) return;
    stopped_ = false;
    if (options_.endpoint.via_sentinel() && !watch_) {
        watch_ = std::make_unique<sentinel_watch>(loop_, options_.endpoint.sentinels,
                                                  options_.endpoint.master, options_.timeout_s);
        watch_->on_switch = [this](const switched_master& to) { follow_switch(to); };
    }
    if (watch_) watch_->start();
    connect();
}

void redis_connection::follow_switch(const switched_master& to) {
    if (stopped_) return;
    const bool there = current_.host == to.host && current_.port == to.port;
    if (context_ != nullptr && there) return;  // connected (or connecting) to it already
    // Not the back-off of a failing server: the new primary is there now.
    backoff_s_ = options_.min_backoff_s;
    if (context_ != nullptr) {
        fail_connection(fmt::format("Sentinel moved the primary to {}:{}", to.host, to.port));
        return;  // on_context_gone reconnects after the shortest back-off
    }
    reconnect_timer_.cancel();
    connect();
}

void redis_connection::stop() {
    stopped_ = true;
    if (watch_) watch_->stop();
    reconnect_timer_.cancel();
    deadline_timer_.cancel();
    // Pipelines in flight are dropped without a call: whoever stops us is going away.
    for (auto& b : batches_) b->done = nullptr;
    if (context_ != nullptr) {
        down_reason_ = "stopped";
        redisAsyncFree(context_);  // ends in cleanup -> on_context_gone
    }
    batches_.clear();
}

void redis_connection::connect() {
    if (stopped_ || context_ != nullptr) return;
    if (options_.endpoint.via_sentinel()) {
        // Asked again at every connect: after a failover the sentinels name another server.
        try {
            current_ = resolve_primary(options_.endpoint, std::min(options_.timeout_s, 0.5));
        } catch (const redis_error& err) {
            down_reason_ = err.what();
            schedule_reconnect();
            return;
        }
    } else {
        current_ = options_.endpoint;
    }
    const redis_endpoint& e = current_;
    redisAsyncContext* ac = e.is_unix() ? redisAsyncConnectUnix(e.unix_path.c_str())
                                        : redisAsyncConnect(e.host.c_str(), e.port);
    if (ac == nullptr || ac->err != 0) {
        down_reason_ =
            fmt::format("cannot connect: {}", ac != nullptr ? ac->errstr : "out of memory");
        if (ac != nullptr) redisAsyncFree(ac);
        schedule_reconnect();
        return;
    }
    context_ = ac;
    down_reason_.clear();
    ac->data = this;
    redisAsyncSetConnectCallback(ac, &redis_connection_hooks::on_connect);
    state_ = state::connecting;
    driver_.attach(ac, [this](const std::string& error) {
        if (down_reason_.empty() && !error.empty()) down_reason_ = error;
        on_context_gone();
    });
    deadline_timer_ =
        loop_.call_later(std::min(0.25, options_.timeout_s / 4), [this] { check_deadlines(); });
    handshake();
}

void redis_connection::handshake() {
    const redis_endpoint& e = current_;
    redis_pipeline p;
    if (!e.password.empty()) {
        if (e.user.empty()) {
            p.add("AUTH", e.password);
        } else {
            p.add("AUTH", e.user, e.password);
        }
    }
    if (e.db != 0) p.add("SELECT", std::uint64_t(e.db));
    p.add("PING");
    // Through Sentinel: only a primary is written to (before the caller's own commands).
    const bool check_role = e.via_sentinel();
    if (check_role) p.add("ROLE");
    const std::size_t role_at = p.size() - 1;
    if (on_handshake) on_handshake(p);
    send_batch(p, [this, check_role, role_at](redis_batch_result&& r) {
        if (!r.delivered) return;  // the connection is gone already; it will retry
        for (const redis_reply& reply : r.replies) {
            if (reply.is_error()) {
                fail_connection(fmt::format("Redis refused the handshake: {}", reply.str));
                return;
            }
        }
        if (check_role && (r.replies.size() <= role_at || !is_primary_role(r.replies[role_at]))) {
            fail_connection(fmt::format("{}:{} is not the primary; asking the sentinels again",
                                        current_.host, current_.port));
            return;
        }
        state_ = state::up;
        backoff_s_ = options_.min_backoff_s;
        if (reconnects_ > 0) {
            spdlog::info("shoal-broker: Redis at {} is back", current_.describe());
        }
        if (on_up) on_up();
    });
}

bool redis_connection::send(const redis_pipeline& pipeline, batch_callback done) {
    if (state_ != state::up || pipeline.empty()) return false;
    return send_batch(pipeline, std::move(done));
}

bool redis_connection::send_batch(const redis_pipeline& pipeline, batch_callback done) {
    auto b = std::make_unique<batch>();
    b->sent_at = loop_.time();
    b->done = std::move(done);
    b->result.replies.reserve(pipeline.size());
    batch* raw = b.get();
    batches_.push_back(std::move(b));
    for (std::size_t i = 0; i < pipeline.size(); ++i) {
        const std::string_view cmd = pipeline.command(i);
        if (redisAsyncFormattedCommand(context_, &redis_connection_hooks::on_reply, raw, cmd.data(),
                                       cmd.size()) != REDIS_OK) {
            // The context is disconnecting: what was appended fails with it.
            raw->result.failure = "the connection is closing";
            break;
        }
        ++raw->expected;
    }
    if (raw->expected == 0) {
        batches_.pop_back();
        return false;
    }
    return true;
}

void redis_connection::on_reply(batch* b, void* reply) {
    if (reply == nullptr) {
        // The context is being freed: every pending command is called back without a reply.
        if (b->result.failure.empty()) {
            b->result.failure = down_reason_.empty() ? "connection lost" : down_reason_;
        }
    } else {
        last_reply_at_ = loop_.time();
        if (b->result.failure.empty()) {
            b->result.replies.push_back(redis_reply::from(*static_cast<redisReply*>(reply)));
            // A primary demoted under us (a failover): written nothing, and must be left.
            if (is_readonly_error(b->result.replies.back())) demoted_ = true;
        }
    }
    // Count replies and failures alike: the batch ends when every command is accounted for.
    ++b->seen;
    if (b->seen < b->expected) return;
    assert(!batches_.empty() && batches_.front().get() == b);
    std::unique_ptr<batch> finished = std::move(batches_.front());
    batches_.pop_front();
    finished->result.delivered = finished->result.failure.empty();
    if (demoted_) {
        demoted_ = false;
        fail_connection("Redis answered READONLY: it is a replica now");
    }
    if (!finished->done) return;
    if (finished->result.delivered) {
        finished->done(std::move(finished->result));
    } else {
        // Inside hiredis's teardown: the failure is told from the loop, once it is over.
        std::shared_ptr<batch> later(std::move(finished));
        loop_.call_soon([later] { later->done(std::move(later->result)); });
    }
}

void redis_connection::check_deadlines() {
    if (context_ == nullptr) return;
    deadline_timer_ =
        loop_.call_later(std::min(0.25, options_.timeout_s / 4), [this] { check_deadlines(); });
    if (batches_.empty()) return;
    // Waiting since the oldest pipeline was sent, or since the last reply if one came after.
    const double waiting_since = std::max(batches_.front()->sent_at, last_reply_at_);
    if (loop_.time() - waiting_since >= options_.timeout_s) {
        fail_connection(
            fmt::format("no reply for {:.1f} s (Redis hung or unreachable)", options_.timeout_s));
    }
}

void redis_connection::fail_connection(const std::string& why) {
    if (context_ == nullptr) return;
    if (down_reason_.empty()) down_reason_ = why;
    redisAsyncContext* ac = context_;
    redisAsyncFree(ac);  // inside a callback, hiredis frees once the callback returns
}

void redis_connection::on_context_gone() {
    const bool was_live = state_ != state::down;
    const bool was_up = state_ == state::up;
    context_ = nullptr;
    state_ = state::down;
    deadline_timer_.cancel();
    const std::string why = down_reason_.empty() ? "connection lost" : down_reason_;
    if (stopped_) return;
    if (was_up) {
        spdlog::warn("shoal-broker: lost Redis at {}: {}", options_.endpoint.describe(), why);
    } else if (was_live) {
        spdlog::debug("shoal-broker: Redis at {} not ready: {}", options_.endpoint.describe(), why);
    }
    if (was_up && on_down) on_down(why);
    schedule_reconnect();
}

void redis_connection::schedule_reconnect() {
    if (stopped_) return;
    // Jitter spreads many brokers' retries; the cap keeps recovery within seconds.
    std::uniform_real_distribution<double> spread(0.5, 1.0);
    const double delay = backoff_s_ * spread(jitter_);
    backoff_s_ = std::min(options_.max_backoff_s, backoff_s_ * 2);
    ++reconnects_;
    reconnect_timer_ = loop_.call_later(delay, [this] {
        down_reason_.clear();
        connect();
    });
}

}  // namespace shoal::broker
