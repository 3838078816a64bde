#include "shoal/common/semaphore.hpp"

#include <algorithm>
#include <stdexcept>

namespace shoal {

semaphore::semaphore(int value) : value_(value) {
    if (value < 0) {
        throw std::invalid_argument("Semaphore initial value must be >= 0");
    }
}

bool semaphore::locked() const noexcept {
    return value_ == 0 || std::any_of(waiters_.begin(), waiters_.end(),
                                      [](const future<void>& w) { return !w.cancelled(); });
}

task<void> semaphore::acquire() {
    if (!locked()) {
        --value_;
        co_return;
    }
    future<void> waiter = get_loop("semaphore").create_future<void>();
    const auto entry = waiters_.insert(waiters_.end(), waiter);
    try {
        co_await waiter;
    } catch (...) {
        waiters_.erase(entry);
        if (waiter.done() && !waiter.cancelled()) {
            // release() woke us and reserved a slot, but we are leaving without it.
            ++value_;
        }
        wake_up_while_free();
        throw;
    }
    waiters_.erase(entry);
    // Acquirers that arrived while we were queued had to wait behind us (FIFO); wake as many
    // as there are free slots.
    wake_up_while_free();
}

void semaphore::release() {
    ++value_;
    wake_up_next();
}

// Wakes the first waiter not yet woken or cancelled, reserving a slot for it.
bool semaphore::wake_up_next() {
    for (future<void>& waiter : waiters_) {
        if (!waiter.done()) {
            --value_;
            waiter.set_result();
            return true;
        }
    }
    return false;
}

void semaphore::wake_up_while_free() {
    while (value_ > 0 && wake_up_next()) {
    }
}

task<semaphore::guard> semaphore::scoped() {
    co_await acquire();
    co_return guard(*this);
}

void bounded_semaphore::release() {
    if (value() >= bound_) {
        throw invalid_state_error("BoundedSemaphore released too many times");
    }
    semaphore::release();
}

}  // namespace shoal
