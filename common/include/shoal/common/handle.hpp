#pragma once
// Handles returned by event_loop::call_soon / call_later / call_at, which cancel a scheduled
// callback (asyncio.Handle and asyncio.TimerHandle). Cheap value types holding no
// allocation; they must not be used after their loop is destroyed. Loop thread only.

#include <cstdint>

namespace shoal {

class event_loop;

// A callback queued with call_soon.
class handle {
  public:
    handle() = default;
    // Prevents the callback from running if it has not run yet; no effect afterwards.
    void cancel();
    // True after cancel() was called on this handle.
    bool cancelled() const noexcept { return cancelled_; }

  private:
    friend class event_loop;
    handle(event_loop* loop, std::uint64_t seq) : loop_(loop), seq_(seq) {}

    event_loop* loop_ = nullptr;
    std::uint64_t seq_ = 0;  // position in the ready queue's FIFO order
    bool cancelled_ = false;
};

// A callback scheduled with call_later / call_at.
class timer_handle {
  public:
    timer_handle() = default;
    // Prevents the callback from running and releases it now; idempotent.
    void cancel();
    bool cancelled() const noexcept { return cancelled_; }
    // Whether the callback is still to run: false once it ran (or is running), was cancelled,
    // or the loop closed; false for a default-constructed handle. Loop thread only.
    bool pending() const noexcept;
    // The loop time at which the callback is due.
    double when() const noexcept { return when_; }

  private:
    friend class event_loop;
    timer_handle(event_loop* loop, std::uint32_t slot, std::uint32_t generation, double when)
        : loop_(loop), slot_(slot), generation_(generation), when_(when) {}

    event_loop* loop_ = nullptr;
    std::uint32_t slot_ = 0;
    std::uint32_t generation_ = 0;  // slots are reused; a stale handle's generation differs
    double when_ = 0;
    bool cancelled_ = false;
};

}  // namespace shoal
