#pragma once
// co_await shoal::sleep(seconds[, value]): suspends the current task (asyncio.sleep). A delay
// of zero or less yields to the loop for one pass. Cancelling the task during the sleep
// throws cancelled_error at the co_await and releases the timer at once.

#include <chrono>
#include <coroutine>
#include <type_traits>
#include <utility>

#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/future.hpp"

namespace shoal {

namespace detail {

template <class T>
class sleep_awaiter {
  public:
    sleep_awaiter(double delay, stored_t<T> value) : delay_(delay), value_(std::move(value)) {}

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        task_driver& d = task_driver::require_current();
        if (delay_ <= 0) {
            d.yield_now(h);
        } else {
            d.wait_on_timer(delay_, h);
        }
    }
    T await_resume() {
        task_driver::require_current().throw_if_cancel_requested();
        if constexpr (!std::is_void_v<T>) {
            return std::move(value_);
        }
    }

  private:
    double delay_;
    [[no_unique_address]] stored_t<T> value_;
};

}  // namespace detail

inline detail::sleep_awaiter<void> sleep(double seconds) { return {seconds, {}}; }

template <class Rep, class Period>
detail::sleep_awaiter<void> sleep(std::chrono::duration<Rep, Period> d) {
    return {std::chrono::duration<double>(d).count(), {}};
}

// Sleeps, then gives back `value` (asyncio.sleep(delay, result)).
template <class T>
detail::sleep_awaiter<std::decay_t<T>> sleep(double seconds, T&& value) {
    return {seconds, std::forward<T>(value)};
}

}  // namespace shoal
