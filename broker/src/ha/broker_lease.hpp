#pragma once
// broker_lease: which of several brokers sharing one Redis is the active one (PROTOCOL.md 6.7,
// broker/README.md "Active and standby brokers"). The lease is a Redis key with a TTL:
//
//   shoal:broker:lease   "EPOCH:HOLDER", PX the lease time; taken only when absent (SET NX PX)
//   shoal:broker:epoch   incremented by every take: each active period has a larger epoch
//
// The holder renews it well before it ends (every third of the lease time) and only while the
// key still holds its own token; every write of the active broker checks the same token in
// Redis (durable/fenced_writes.hpp), so a broker that was paused or cut off past its lease,
// and then wakes up, writes nothing once another has taken over.
//
// Thread-safety: none; the broker's loop thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis/redis_connection.hpp"
#include "redis/redis_sync.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"

namespace shoal::broker {

inline constexpr std::string_view lease_key = "shoal:broker:lease";
inline constexpr std::string_view lease_epoch_key = "shoal:broker:epoch";

// What Redis says about the lease: ours now, or someone's (token and time left), or nobody's.
struct lease_view {
    bool ours = false;
    std::string token;         // "EPOCH:HOLDER"; empty when nobody holds it
    std::int64_t ttl_ms = -1;  // time left; -1 when nobody holds it
};

// The epoch in "EPOCH:HOLDER" (0 if unreadable), and the holder's name.
std::uint64_t lease_epoch(std::string_view token);
std::string_view lease_holder(std::string_view token);

// Takes the lease for `holder` if nobody holds it; otherwise says who does. Throws
// redis_error when Redis cannot be asked.
lease_view try_take_lease(redis_sync& redis, std::string_view holder, std::uint32_t ttl_ms);
// The same try as one command of a pipeline (a standby's non-blocking connection), and what
// its reply says (redis_error for an error or an unexpected reply).
void add_take_lease(redis_pipeline& p, std::string_view holder, std::uint32_t ttl_ms);
lease_view read_take_reply(const redis_reply& r);
// Who holds the lease now (ours is always false).
lease_view read_lease(redis_sync& redis);
// Gives the lease up if `token` still holds it (a planned step-down); true if it did.
bool give_up_lease(redis_sync& redis, std::string_view token);

// Keeps a held lease: renews it every ttl/3 on its own Redis connection (never queued behind
// the broker's writes), and calls lost() once, from the loop, when it is no longer sure to
// hold it: Redis said another token holds it, or no renewal succeeded within the lease time
// (counted from when the last good renewal was sent, less a margin for clock rates), so that
// this broker stops before a standby can take over.
class lease_keeper {
  public:
    lease_keeper(event_loop& loop, redis_endpoint endpoint, double timeout_s, std::string token,
                 std::uint32_t ttl_ms);
    ~lease_keeper();
    lease_keeper(const lease_keeper&) = delete;
    lease_keeper& operator=(const lease_keeper&) = delete;

    void start();
    const std::string& token() const noexcept { return token_; }
    std::uint64_t renewals() const noexcept { return renewals_; }

    std::function<void(const std::string& why)> lost;

  private:
    void renew();
    void check();
    void lose(const std::string& why);

    event_loop& loop_;
    redis_connection connection_;
    std::string token_;
    std::uint32_t ttl_ms_;
    double sure_until_ = 0;  // loop time until which the lease is surely ours
    bool renewing_ = false;
    bool gone_ = false;
    std::uint64_t renewals_ = 0;
    timer_handle renew_timer_;
    timer_handle check_timer_;
};

}  // namespace shoal::broker
