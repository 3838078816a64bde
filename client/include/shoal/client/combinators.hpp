#pragma once
// gather / wait / as_completed over remote futures, alone or mixed with local ones.
//
// Blocking (any thread), in shoal::concurrent next to common's wait and as_completed:
//
//   std::vector<int> sums = shoal::concurrent::gather(futures, 10.0);
//   auto [done, not_done] = shoal::concurrent::wait(futures, 1.0, shoal::FIRST_COMPLETED);
//   for (shoal::remote_future<int> f : shoal::concurrent::as_completed(futures, 10.0)) ...
//
//   // mixed: a remote_future<T> converts to concurrent::future<T>
//   std::vector<shoal::concurrent::future<int>> mixed{client.submit(add, 1, 2), pool.submit(f)};
//   auto all = shoal::concurrent::gather(mixed);
//
// With co_await, from a task on any event_loop: wrap them into loop futures and use common's
// combinators (cancelling a wrapped remote future revokes its task):
//
//   auto loop_futures = shoal::wrap_futures(futures);            // on the running loop
//   std::vector<int> sums = co_await shoal::gather(std::move(loop_futures));
//   auto [a, b] = co_await shoal::gather(shoal::wrap_future(remote, loop),
//                                        shoal::wrap_future(local, loop));

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "shoal/client/remote_future.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/concurrent_wait.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/return_when.hpp"
#include "shoal/common/wrap_future.hpp"

namespace shoal {

template <class T>
std::vector<concurrent::future<T>> as_concurrent(const std::vector<remote_future<T>>& fs) {
    return {fs.begin(), fs.end()};
}

// Loop futures on `loop` (default: the running loop) for each remote or local future.
template <class T>
std::vector<future<T>> wrap_futures(const std::vector<remote_future<T>>& fs,
                                    event_loop& loop = event_loop::current()) {
    std::vector<future<T>> out;
    out.reserve(fs.size());
    for (const auto& f : fs) out.push_back(wrap_future(f, loop));
    return out;
}
template <class T>
std::vector<future<T>> wrap_futures(const std::vector<concurrent::future<T>>& fs,
                                    event_loop& loop = event_loop::current()) {
    std::vector<future<T>> out;
    out.reserve(fs.size());
    for (const auto& f : fs) out.push_back(wrap_future(f, loop));
    return out;
}

template <class T>
struct remote_wait_result {
    std::vector<remote_future<T>> done;
    std::vector<remote_future<T>> not_done;
};

namespace concurrent {

// Every result in input order, once all are done (void tasks give std::monostate). Fails
// fast: the first future to fail (in input order among those failed when the wait ends)
// rethrows at once; a revoked one throws cancelled_error. timeout_error if the timeout
// passes first. Nothing is cancelled either way.
template <class T>
std::vector<shoal::detail::stored_t<T>> gather(const std::vector<future<T>>& fs,
                                               std::optional<double> timeout_seconds = {}) {
    const auto until = detail::deadline_after(timeout_seconds);
    const auto waited = wait(fs, detail::seconds_until(until), FIRST_EXCEPTION);
    for (const auto& f : fs) {
        if (f.done() && !f.cancelled()) {
            if (auto e = f.exception(0.0)) std::rethrow_exception(e);
        }
    }
    if (!waited.not_done.empty()) {
        throw timeout_error("gather: " + std::to_string(waited.not_done.size()) + " (of " +
                            std::to_string(fs.size()) + ") futures unfinished");
    }
    std::vector<shoal::detail::stored_t<T>> results;
    results.reserve(fs.size());
    for (const auto& f : fs) {
        if constexpr (std::is_void_v<T>) {
            f.result(0.0);
            results.emplace_back();
        } else {
            results.push_back(f.result(0.0));
        }
    }
    return results;
}

template <class T>
std::vector<shoal::detail::stored_t<T>> gather(const std::vector<remote_future<T>>& fs,
                                               std::optional<double> timeout_seconds = {}) {
    return gather(shoal::as_concurrent(fs), timeout_seconds);
}

// common's concurrent::wait, keeping the remote handles (ids, status) in the answer.
template <class T>
remote_wait_result<T> wait(const std::vector<remote_future<T>>& fs,
                           std::optional<double> timeout_seconds = {},
                           return_when mode = ALL_COMPLETED) {
    (void)wait(shoal::as_concurrent(fs), timeout_seconds, mode);
    remote_wait_result<T> split;
    for (const auto& f : fs) {
        (f.done() ? split.done : split.not_done).push_back(f);
    }
    return split;
}

// common's concurrent::as_completed, yielding the remote handles. Same rules: each distinct
// future once, done ones first; advancing past the deadline throws timeout_error; consume
// it in the thread that created it.
template <class T>
class remote_as_completed_range {
  public:
    class iterator {
      public:
        using value_type = remote_future<T>;
        using difference_type = std::ptrdiff_t;

        remote_future<T> operator*() const { return range_->lookup(*inner_); }
        iterator& operator++() {
            ++inner_;
            return *this;
        }
        void operator++(int) { ++inner_; }
        friend bool operator==(const iterator& it, std::default_sentinel_t s) noexcept {
            return it.inner_ == s;
        }

      private:
        friend class remote_as_completed_range;
        iterator(const remote_as_completed_range* range,
                 typename as_completed_range<T>::iterator inner)
            : range_(range), inner_(std::move(inner)) {}
        const remote_as_completed_range* range_;
        typename as_completed_range<T>::iterator inner_;
    };

    remote_as_completed_range(const std::vector<remote_future<T>>& fs,
                              std::optional<double> timeout_seconds)
        : remotes_(fs), locals_(shoal::as_concurrent(fs)), inner_(locals_, timeout_seconds) {
        for (std::size_t i = 0; i < remotes_.size(); ++i) {
            index_.emplace(&detail::future_access::base(locals_[i]), i);
        }
    }
    remote_as_completed_range(const remote_as_completed_range&) = delete;
    remote_as_completed_range& operator=(const remote_as_completed_range&) = delete;

    iterator begin() { return iterator(this, inner_.begin()); }
    std::default_sentinel_t end() const noexcept { return {}; }

  private:
    remote_future<T> lookup(const future<T>& f) const {
        return remotes_[index_.at(&detail::future_access::base(f))];
    }

    std::vector<remote_future<T>> remotes_;
    std::vector<future<T>> locals_;
    std::unordered_map<const detail::future_state_base*, std::size_t> index_;
    as_completed_range<T> inner_;
};

template <class T>
remote_as_completed_range<T> as_completed(const std::vector<remote_future<T>>& fs,
                                          std::optional<double> timeout_seconds = {}) {
    return remote_as_completed_range<T>(fs, timeout_seconds);
}

}  // namespace concurrent
}  // namespace shoal
