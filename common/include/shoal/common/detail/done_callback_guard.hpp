#pragma once
// done_callback_guard: the done-callbacks and the timeout timer a combinator (wait,
// as_completed) leaves on the futures it watches, removed when the combinator's coroutine
// ends, whether it finished, timed out or was cancelled.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "shoal/common/future.hpp"
#include "shoal/common/handle.hpp"

namespace shoal::detail {

template <class T>
class done_callback_guard {
  public:
    // `futures` must outlive the guard (both live in the same coroutine frame).
    explicit done_callback_guard(std::vector<future<T>>& futures)
        : futures_(futures), ids_(futures.size(), 0) {}
    done_callback_guard(const done_callback_guard&) = delete;
    done_callback_guard& operator=(const done_callback_guard&) = delete;
    ~done_callback_guard() {
        timer_.cancel();
        for (std::size_t i = 0; i < futures_.size(); ++i) {
            if (ids_[i] != 0) futures_[i].remove_done_callback(ids_[i]);
        }
    }

    // Adds fn as a done-callback of futures[i].
    template <class F>
    void watch(std::size_t i, F fn) {
        ids_[i] = futures_[i].add_done_callback(std::move(fn));
    }
    // A timer to cancel with the callbacks.
    void set_timer(timer_handle timer) noexcept { timer_ = timer; }

  private:
    std::vector<future<T>>& futures_;
    std::vector<std::uint64_t> ids_;
    timer_handle timer_;
};

}  // namespace shoal::detail
