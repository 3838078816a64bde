#pragma once
// shoal::lock: asyncio.Lock, a mutual-exclusion lock for coroutines on one loop. Not
// reentrant, not owned by a task: any coroutine may release it (as asyncio).
//
//   shoal::lock lk;
//   {
//       auto guard = co_await lk.scoped();   // async with lk:
//       ...                                  // released when guard goes out of scope
//   }
//
// Fairness (asyncio 3.11): waiters get the lock in the order they called acquire(). release()
// wakes the first waiter, which takes the lock when it resumes on the next pass; until then
// the lock reads as unlocked but a newcomer's acquire() still queues behind the woken waiter
// (no barging). A waiter cancelled after being woken passes the wake-up on to the next one,
// so a cancellation never strands the lock.
//
// Loop-bound (see detail/loop_bound.hpp): binds to the running loop when acquire() first has
// to wait. Loop thread only. Not copyable. Must outlive every task waiting on it.

#include "shoal/common/detail/loop_bound.hpp"
#include "shoal/common/detail/release_guard.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

class lock : detail::loop_bound {
  public:
    // Holds the lock until destroyed or release()d; see detail/release_guard.hpp.
    using guard = detail::release_guard<lock>;

    lock() = default;

    // Takes the lock, suspending while it is held or other coroutines queue for it. Throws
    // cancelled_error if the task is cancelled while waiting (the lock is then not held),
    // event_loop_error from a loop other than the bound one.
    task<void> acquire();
    // Unlocks and wakes the first waiter. Throws invalid_state_error if not locked (asyncio
    // raises RuntimeError("Lock is not acquired.")).
    void release();
    bool locked() const noexcept { return locked_; }

    // acquire(), then a guard that releases in its destructor.
    task<guard> scoped();

  private:
    void wake_up_first();

    bool locked_ = false;
    // Pending acquire() calls, oldest first. A woken waiter stays listed until it resumes:
    // that is what stops a newcomer from taking the lock in between.
    detail::waiter_list waiters_;
};

}  // namespace shoal
