#pragma once
// redis_connection: hiredis's async API driven by a shoal::event_loop through its adapter
// hooks (addRead/delRead/addWrite/delWrite/cleanup become the loop's add_reader and friends),
// so Redis never blocks the broker's thread.
//
// Work is sent as pipelines: every command of a redis_pipeline is written at once and one
// callback receives every reply, in order. Redis is taken as hung (stopped, partitioned) when
// work is waiting and no reply at all came for timeout_s (a deep pipeline that Redis answers
// steadily is slow, not hung): the connection is dropped, every pipeline in flight fails, and
// reconnecting starts, with exponential back-off and jitter, until a handshake (AUTH, SELECT,
// PING, and the caller's own commands: on_handshake) succeeds again.
//
// States: down (waiting to reconnect) -> connecting (handshake sent) -> up. send() refuses
// work unless up, so nothing piles up while Redis is away: callers decide what waits.
// Through Sentinel (redis+sentinel://, redis_sentinel.hpp) each connect asks for the primary,
// the handshake checks ROLE, and a READONLY answer drops the connection; a sentinel's
// +switch-master news (sentinel_watch.hpp) drops it too, and reconnects at once.
//
// Thread-safety: none; everything runs on the loop's thread.

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "redis/hiredis_loop.hpp"
#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"
#include "redis/sentinel_watch.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"

struct redisAsyncContext;

namespace shoal::broker {

struct redis_connection_options {
    redis_endpoint endpoint;
    double timeout_s = 2.0;       // work waiting and no reply for this long: Redis is hung
    double min_backoff_s = 0.05;  // first reconnect delay, doubled up to max_backoff_s
    double max_backoff_s = 2.0;
};

// A pipeline's result: every reply (an error reply is a reply), or why none came.
struct redis_batch_result {
    bool delivered = false;
    std::string failure;  // when not delivered: timed out, connection lost
    std::vector<redis_reply> replies;
};

class redis_connection {
  public:
    enum class state { down, connecting, up };
    using batch_callback = std::function<void(redis_batch_result&&)>;

    redis_connection(event_loop& loop, redis_connection_options options);
    ~redis_connection();
    redis_connection(const redis_connection&) = delete;
    redis_connection& operator=(const redis_connection&) = delete;

    // Starts connecting (idempotent).
    void start();
    // Drops the connection and stops reconnecting; pipelines in flight fail.
    void stop();

    state current() const noexcept { return state_; }
    bool is_up() const noexcept { return state_ == state::up; }
    // Sends every command of `pipeline` and later calls done(result) exactly once, from the
    // loop. Returns false, without calling done, unless up. An empty pipeline is refused.
    bool send(const redis_pipeline& pipeline, batch_callback done);

    std::size_t in_flight() const noexcept { return batches_.size(); }
    std::size_t reconnects() const noexcept { return reconnects_; }

    // Told when the connection comes up (after each successful handshake) and when it goes
    // down (with why), from the loop.
    std::function<void()> on_up;
    std::function<void(const std::string& why)> on_down;
    // Adds the caller's commands to every handshake (after PING), e.g. a fencing token that
    // must be in place before anything else this connection sends.
    std::function<void(redis_pipeline&)> on_handshake;

  private:
    struct batch {
        std::size_t expected = 0;  // commands sent
        std::size_t seen = 0;      // of which answered (or failed)
        double sent_at = 0;
        redis_batch_result result;
        batch_callback done;
    };
    friend struct redis_connection_hooks;

    void connect();
    void handshake();
    void schedule_reconnect();
    void check_deadlines();
    void fail_connection(const std::string& why);
    void on_reply(batch* b, void* reply);
    void on_context_gone();
    void follow_switch(const switched_master& to);
    bool send_batch(const redis_pipeline& pipeline, batch_callback done);

    event_loop& loop_;
    redis_connection_options options_;
    redis_endpoint current_;  // options_.endpoint, or through Sentinel the primary asked last
    bool demoted_ = false;    // a reply said READONLY: the connection is dropped after its batch
    hiredis_loop driver_;
    redisAsyncContext* context_ = nullptr;
    std::unique_ptr<sentinel_watch> watch_;  // through Sentinel: its +switch-master news
    state state_ = state::down;
    bool stopped_ = true;
    std::string down_reason_;
    // In sending order; Redis answers in order, so the front is always the oldest pending.
    std::deque<std::unique_ptr<batch>> batches_;
    double backoff_s_ = 0;
    std::size_t reconnects_ = 0;
    double last_reply_at_ = 0;  // loop time of the last reply: progress
    timer_handle reconnect_timer_;
    timer_handle deadline_timer_;
    std::minstd_rand jitter_{std::random_device{}()};
};

}  // namespace shoal::broker
