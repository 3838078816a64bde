#include "shoal/common/lock.hpp"

#include <algorithm>

namespace shoal {

task<void> lock::acquire() {
    const bool nobody_queued = std::all_of(waiters_.begin(), waiters_.end(),
                                           [](const future<void>& w) { return w.cancelled(); });
    if (!locked_ && nobody_queued) {
        locked_ = true;
        co_return;
    }
    future<void> waiter = get_loop("lock").create_future<void>();
    const auto entry = waiters_.insert(waiters_.end(), waiter);
    try {
        co_await waiter;
    } catch (...) {
        // Cancelled, possibly after release() had already woken us: we will not take the
        // lock, so hand the wake-up to the next waiter rather than lose it.
        waiters_.erase(entry);
        if (!locked_) {
            wake_up_first();
        }
        throw;
    }
    waiters_.erase(entry);
    locked_ = true;
}

void lock::release() {
    if (!locked_) {
        throw invalid_state_error("Lock is not acquired.");
    }
    locked_ = false;
    wake_up_first();
}

// Only the first waiter is looked at, as asyncio does: if it is done (cancelled, or already
// woken) it has yet to resume, and when it does it either takes the lock or passes the
// wake-up on from its catch block.
void lock::wake_up_first() {
    if (waiters_.empty()) {
        return;
    }
    future<void>& first = waiters_.front();
    if (!first.done()) {
        first.set_result();
    }
}

task<lock::guard> lock::scoped() {
    co_await acquire();
    co_return guard(*this);
}

}  // namespace shoal
