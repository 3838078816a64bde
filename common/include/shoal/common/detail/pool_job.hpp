#pragma once
// One unit of work queued on an executor: a callable bound to the future it settles.

#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/common/concurrent_future.hpp"

namespace shoal::detail {

class pool_job {
  public:
    virtual ~pool_job() = default;
    // Runs the work unless its future was cancelled; every exception lands in the future.
    virtual void run() noexcept = 0;
    // Cancels the future of work that will never run (shutdown with cancel_futures).
    virtual void cancel() noexcept = 0;
};

template <class R, class Fn, class ArgsTuple>
class future_job final : public pool_job {
  public:
    future_job(concurrent::future<R> future, Fn fn, ArgsTuple args)
        : future_(std::move(future)), fn_(std::move(fn)), args_(std::move(args)) {}

    void run() noexcept override {
        if (!future_.set_running_or_notify_cancel()) {
            return;
        }
        try {
            if constexpr (std::is_void_v<R>) {
                std::apply(std::move(fn_), std::move(args_));
                future_.set_result();
            } else {
                future_.set_result(std::apply(std::move(fn_), std::move(args_)));
            }
        } catch (...) {
            settle_with_current_exception();
        }
    }

    void cancel() noexcept override { future_.cancel(); }

  private:
    void settle_with_current_exception() noexcept {
        future_.try_set_exception(std::current_exception());
    }

    concurrent::future<R> future_;
    Fn fn_;
    ArgsTuple args_;
};

// Python's Executor.map collected into a vector: results in input order, each waited for
// against one overall deadline; on the first exception (or timeout) the futures not yet
// collected are cancelled and the exception propagates.
template <class R>
std::vector<R> collect_results(const std::vector<concurrent::future<R>>& futures,
                               const concurrent::detail::deadline& until) {
    std::vector<R> results;
    results.reserve(futures.size());
    try {
        for (const auto& f : futures) {
            results.push_back(f.result(concurrent::detail::seconds_until(until)));
        }
    } catch (...) {
        for (auto it = futures.begin() + static_cast<std::ptrdiff_t>(results.size());
             it != futures.end(); ++it) {
            it->cancel();
        }
        throw;
    }
    return results;
}

}  // namespace shoal::detail
