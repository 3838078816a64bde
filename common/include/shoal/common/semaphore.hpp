#pragma once
// shoal::semaphore and shoal::bounded_semaphore: asyncio.Semaphore and
// asyncio.BoundedSemaphore. A counter of available slots: acquire() takes one, suspending
// while none is free; release() gives one back and wakes the first waiter.
//
//   shoal::semaphore slots(4);
//   auto guard = co_await slots.scoped();    // async with slots:
//
// Fairness (asyncio 3.11.1+): acquirers are served in the order they called acquire(); a
// newcomer queues behind existing waiters even while the count is positive. release()
// reserves the slot for the waiter it wakes (the count drops at once), and a waiter cancelled
// after being woken gives that slot back and wakes the next one, so no wake-up is lost.
//
// Loop-bound (see detail/loop_bound.hpp): binds to the running loop when acquire() first has
// to wait. Loop thread only. Not copyable. Must outlive every task waiting on it.

#include "shoal/common/detail/loop_bound.hpp"
#include "shoal/common/detail/release_guard.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

class semaphore : detail::loop_bound {
  public:
    // Holds one slot until destroyed or release()d; see detail/release_guard.hpp.
    using guard = detail::release_guard<semaphore>;

    // Throws std::invalid_argument if value < 0 (asyncio raises ValueError).
    explicit semaphore(int value = 1);
    virtual ~semaphore() = default;

    // Takes a slot, suspending while none is free or earlier acquirers still wait. Throws
    // cancelled_error if the task is cancelled while waiting (no slot is then held),
    // event_loop_error from a loop other than the bound one.
    task<void> acquire();
    // Gives a slot back and wakes the first waiter. A plain semaphore never refuses: the count
    // may grow past its initial value (use bounded_semaphore to forbid that).
    virtual void release();
    // True if acquire() would suspend now: no slot free, or someone is already waiting.
    bool locked() const noexcept;

    // acquire(), then a guard that releases in its destructor.
    task<guard> scoped();

  protected:
    // Free slots, not counting those reserved for woken waiters that have yet to resume.
    int value() const noexcept { return value_; }

  private:
    bool wake_up_next();
    void wake_up_while_free();

    int value_;
    // Pending acquire() calls, oldest first; woken waiters stay listed until they resume.
    detail::waiter_list waiters_;
};

// A semaphore whose count may not rise above its initial value.
class bounded_semaphore : public semaphore {
  public:
    // Throws std::invalid_argument if value < 0.
    explicit bounded_semaphore(int value = 1) : semaphore(value), bound_(value) {}

    // Throws invalid_state_error if that would make the count exceed the initial value
    // (asyncio raises ValueError("BoundedSemaphore released too many times")).
    void release() override;

  private:
    int bound_;  // the initial value
};

}  // namespace shoal
