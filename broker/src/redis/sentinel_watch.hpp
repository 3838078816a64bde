#pragma once
// sentinel_watch: listens to Redis Sentinel's +switch-master announcements (SUBSCRIBE on one
// sentinel at a time, the next one when it goes away) and tells the broker's Redis connection
// as soon as the sentinels have moved its master to another server, so that it leaves the old
// primary at once instead of at its next write (a READONLY answer) or after its reconnect
// back-off. It only speeds things up: the connection still asks the sentinels and checks ROLE
// at every connect, which is what keeps a broker off replicas.
//
// Thread-safety: none; the loop's thread only.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/hiredis_loop.hpp"
#include "redis/redis_url.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/handle.hpp"

struct redisAsyncContext;

namespace shoal::broker {

// A +switch-master message: "MASTER OLD-IP OLD-PORT NEW-IP NEW-PORT". The new address when
// it names `master`, nothing otherwise (another master, or a message we cannot read).
struct switched_master {
    std::string host;
    int port = 0;
};
std::optional<switched_master> parse_switch_master(std::string_view message,
                                                   std::string_view master);

class sentinel_watch {
  public:
    sentinel_watch(event_loop& loop, std::vector<sentinel_address> sentinels, std::string master,
                   double timeout_s);
    ~sentinel_watch();
    sentinel_watch(const sentinel_watch&) = delete;
    sentinel_watch& operator=(const sentinel_watch&) = delete;

    void start();
    void stop();
    // Subscribed to a sentinel now.
    bool listening() const noexcept { return subscribed_; }

    // The sentinels moved our master to host:port (from the loop).
    std::function<void(const switched_master& to)> on_switch;

  private:
    struct hooks;
    void connect();
    void on_message(void* reply);
    void on_gone();
    void check_subscribed();

    event_loop& loop_;
    std::vector<sentinel_address> sentinels_;
    std::string master_;
    double timeout_s_;
    hiredis_loop driver_;
    redisAsyncContext* context_ = nullptr;
    std::size_t next_ = 0;  // the sentinel to try next
    bool subscribed_ = false;
    bool stopped_ = true;
    timer_handle retry_timer_;
    timer_handle subscribe_deadline_;
};

}  // namespace shoal::broker
