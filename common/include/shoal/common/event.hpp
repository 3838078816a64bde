#pragma once
// shoal::event: asyncio.Event. A flag that coroutines can wait for: set() wakes every waiter
// at once, clear() resets it, wait() returns at once while it is set.
//
//   shoal::event ready;
//   ... co_await ready.wait();      // in one task
//   ... ready.set();                // in another
//
// Waking is fair and complete: set() settles every pending waiter's future, so a clear()
// right after set() does not take the wake-up back (asyncio's behaviour). Waiters resume in
// the order they started waiting, on the loop's next pass, never inside set().
//
// Loop-bound (see detail/loop_bound.hpp): binds to the running loop at its first wait().
// Loop thread only. Not copyable. Must outlive every task waiting on it.

#include "shoal/common/detail/loop_bound.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

class event : detail::loop_bound {
  public:
    event() = default;

    // Sets the flag and wakes every waiter; a no-op if already set.
    void set();
    // Resets the flag; later wait() calls block until the next set().
    void clear() noexcept { value_ = false; }
    bool is_set() const noexcept { return value_; }

    // Returns at once if the flag is set, otherwise suspends until set() (asyncio returns
    // True; there is nothing to return here). Throws cancelled_error if the waiting task is
    // cancelled, event_loop_error outside a loop or from a loop other than the bound one.
    task<void> wait();

  private:
    bool value_ = false;           // the flag
    detail::waiter_list waiters_;  // pending wait() calls, oldest first
};

}  // namespace shoal
