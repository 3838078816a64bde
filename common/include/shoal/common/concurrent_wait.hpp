#pragma once
// Blocking wait() and as_completed() over shoal::concurrent::future<T>, with Python's
// concurrent.futures semantics. Time is steady_clock; timeouts are in seconds.
//
// wait(fs, timeout, mode) returns {done, not_done} once `mode` holds or the timeout passes;
// it never throws on timeout. Unlike Python's sets the two vectors keep the input order
// (and any duplicates).
//
// as_completed(fs, timeout) is a range: `for (auto f : as_completed(fs, 5.0))` yields each
// distinct future once, those already done first, then in completion order. Advancing
// throws timeout_error when the deadline (counted from the call) passes with futures still
// pending. The range must be consumed in the thread that created it and must not outlive
// the loop; it unregisters itself from the futures when destroyed.
// Both throw invalid_state_error if a handle in fs is empty.
// On a thread that runs an event loop, a wait (or an advance) that would block throws
// event_loop_error at once instead (see concurrent_future.hpp).

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/completion_waiters.hpp"
#include "shoal/common/return_when.hpp"

namespace shoal::concurrent {

template <class T>
struct wait_result {
    std::vector<future<T>> done;
    std::vector<future<T>> not_done;
};

template <class T>
wait_result<T> wait(const std::vector<future<T>>& fs, std::optional<double> timeout_seconds = {},
                    return_when mode = ALL_COMPLETED) {
    std::vector<detail::future_state_base*> states;
    states.reserve(fs.size());
    for (const auto& f : fs) {
        states.push_back(&detail::future_access::base(f));
    }
    detail::wait_for_states(states, detail::deadline_after(timeout_seconds), mode);
    wait_result<T> split;
    for (const auto& f : fs) {
        (f.done() ? split.done : split.not_done).push_back(f);
    }
    return split;
}

template <class T>
class as_completed_range {
  public:
    class iterator {
      public:
        using value_type = future<T>;
        using difference_type = std::ptrdiff_t;

        const future<T>& operator*() const { return current_; }
        iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.at_end_;
        }

      private:
        friend class as_completed_range;
        explicit iterator(as_completed_range* range) : range_(range) { advance(); }
        void advance() {
            at_end_ = range_->exhausted();
            if (!at_end_) {
                current_ = range_->next();
            }
        }

        as_completed_range* range_;
        future<T> current_;
        bool at_end_ = false;
    };

    as_completed_range(const std::vector<future<T>>& fs, std::optional<double> timeout_seconds)
        : until_(detail::deadline_after(timeout_seconds)) {
        for (const auto& f : fs) {
            if (index_.emplace(&detail::future_access::base(f), watched_.size()).second) {
                watched_.push_back(f);
            }
        }
        for (const auto& f : watched_) {
            detail::future_state_base& state = detail::future_access::base(f);
            const auto registration = state.add_waiter(queue_);
            if (registration.done) {
                queue_.on_future_done(state, registration.failed);
            }
        }
    }
    ~as_completed_range() {
        for (const auto& f : watched_) {
            detail::future_access::base(f).remove_waiter(queue_);
        }
    }
    as_completed_range(const as_completed_range&) = delete;
    as_completed_range& operator=(const as_completed_range&) = delete;

    // Throws timeout_error if the first future is not done by the deadline.
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

  private:
    bool exhausted() const noexcept { return yielded_ == watched_.size(); }

    future<T> next() {
        const detail::future_state_base* state = queue_.pop(until_);
        if (state == nullptr) {
            throw timeout_error(std::to_string(watched_.size() - yielded_) + " (of " +
                                std::to_string(watched_.size()) + ") futures unfinished");
        }
        ++yielded_;
        return watched_[index_.at(state)];
    }

    detail::deadline until_;
    // Distinct, in input order. Holding the handles keeps every state alive while the queue
    // may point at it, even if the caller's vector was a temporary.
    std::vector<future<T>> watched_;
    std::unordered_map<const detail::future_state_base*, std::size_t> index_;  // into watched_
    detail::completion_queue queue_;
    std::size_t yielded_ = 0;
};

template <class T>
as_completed_range<T> as_completed(const std::vector<future<T>>& fs,
                                   std::optional<double> timeout_seconds = {}) {
    return as_completed_range<T>(fs, timeout_seconds);
}

}  // namespace shoal::concurrent
