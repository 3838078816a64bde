#pragma once
// hiredis_loop: one hiredis async context driven by a shoal::event_loop. hiredis's adapter
// hooks (addRead/delRead/addWrite/delWrite/cleanup) become the loop's add_reader and friends,
// so Redis never blocks the loop's thread. Shared by the broker's Redis connection and its
// Sentinel watch, which each own one.
//
// Thread-safety: none; the loop's thread only.

#include <functional>
#include <string>

#include "shoal/common/event_loop.hpp"

struct redisAsyncContext;

namespace shoal::broker {

class hiredis_loop {
  public:
    explicit hiredis_loop(event_loop& loop) : loop_(loop) {}
    hiredis_loop(const hiredis_loop&) = delete;
    hiredis_loop& operator=(const hiredis_loop&) = delete;

    // Drives `ac` (just created, connecting) until hiredis frees it: then on_gone is called
    // with the context's error text (empty when there was none). Every kind of disconnection
    // (an error, the peer closing, our redisAsyncFree) passes there. ac->data stays the
    // caller's.
    void attach(redisAsyncContext* ac, std::function<void(const std::string& error)> on_gone);
    // The context being driven (nullptr when none).
    redisAsyncContext* context() const noexcept { return context_; }

  private:
    struct hooks;

    event_loop& loop_;
    redisAsyncContext* context_ = nullptr;
    int fd_ = -1;
    bool reading_ = false;
    bool writing_ = false;
    std::function<void(const std::string&)> on_gone_;
};

}  // namespace shoal::broker
