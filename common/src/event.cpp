#include "shoal/common/event.hpp"

namespace shoal {

void event::set() {
    if (value_) {
        return;
    }
    value_ = true;
    // A waiter that was cancelled but has not resumed yet is already done: skip it.
    for (future<void>& waiter : waiters_) {
        if (!waiter.done()) {
            waiter.set_result();
        }
    }
}

task<void> event::wait() {
    if (value_) {
        co_return;
    }
    future<void> waiter = get_loop("event").create_future<void>();
    const auto entry = waiters_.insert(waiters_.end(), waiter);
    try {
        co_await waiter;
    } catch (...) {
        waiters_.erase(entry);
        throw;
    }
    waiters_.erase(entry);
}

}  // namespace shoal
