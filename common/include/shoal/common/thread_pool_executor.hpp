#pragma once
// shoal::thread_pool_executor: a fixed pool of threads running callables, with Python's
// concurrent.futures.ThreadPoolExecutor semantics.
//
// Lifetime: the constructor returns once every worker thread has reported ready. The
// destructor is shutdown(true): it waits for queued work to finish and joins the threads.
// Thread-safety: submit, map and shutdown may be called from any thread concurrently,
// including from tasks running on the pool (but a task must not call shutdown(true) or
// destroy its own pool; the joining would wait for itself).
// Errors: submit/map after shutdown throw executor_shutdown_error. A task's exception is
// stored in its future, never swallowed; map rethrows the first one in input order.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/pool_job.hpp"

namespace shoal {

class thread_pool_executor {
  public:
    // Python's default: min(32, cpu count + 4).
    static std::size_t default_max_workers() noexcept;

    // Throws std::invalid_argument if max_workers is 0, std::system_error if a thread
    // cannot be started.
    explicit thread_pool_executor(std::size_t max_workers = default_max_workers());
    ~thread_pool_executor();
    thread_pool_executor(const thread_pool_executor&) = delete;
    thread_pool_executor& operator=(const thread_pool_executor&) = delete;

    // Schedules fn(args...) (decayed copies, invoked as rvalues) and returns its future.
    template <class F, class... Args>
    auto submit(F&& fn, Args&&... args)
        -> concurrent::future<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> {
        using result_type = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
        using args_tuple = std::tuple<std::decay_t<Args>...>;
        auto future = concurrent::make_future<result_type>();
        concurrent::detail::future_access::base(future).set_wait_spin(result_wait_spin);
        enqueue(std::make_unique<detail::future_job<result_type, std::decay_t<F>, args_tuple>>(
            future, std::forward<F>(fn), args_tuple(std::forward<Args>(args)...)));
        return future;
    }

    // Submits fn(item) for every item, then returns the results in input order. The timeout
    // (seconds, from the call) bounds the whole collection: timeout_error past it. On an
    // exception or timeout the calls not yet collected are cancelled.
    template <class F, std::ranges::input_range Range>
    auto map(const F& fn, const Range& items, std::optional<double> timeout_seconds = {}) {
        using result_type = std::invoke_result_t<F, std::ranges::range_reference_t<const Range>>;
        static_assert(!std::is_void_v<result_type>, "map collects results: fn must return one");
        const auto until = concurrent::detail::deadline_after(timeout_seconds);
        std::vector<concurrent::future<result_type>> futures;
        for (auto&& item : items) {
            futures.push_back(submit(fn, item));
        }
        return detail::collect_results(futures, until);
    }

    // Stops accepting work. cancel_futures cancels everything still queued; work already
    // queued otherwise still runs. wait joins the workers (the destructor always does).
    // Idempotent.
    void shutdown(bool wait = true, bool cancel_futures = false);

    std::size_t max_workers() const noexcept { return max_workers_; }

  private:
    // A caller waiting on a result polls this long before parking: a short call's result
    // lands sooner than a futex wake-up would (see future_state_base::set_wait_spin).
    static constexpr std::chrono::microseconds result_wait_spin{30};

    void enqueue(std::unique_ptr<detail::pool_job> job);
    void worker_main(std::latch& ready);
    std::unique_ptr<detail::pool_job> next_job();
    void spin_for_work(std::unique_lock<std::mutex>& lock);
    std::unique_ptr<detail::pool_job> try_pop_locked();
    void join_workers();

    const std::size_t max_workers_;

    // Shared by submitters and workers, guarded by mutex_.
    std::mutex mutex_;
    std::condition_variable work_or_stop_;
    std::deque<std::unique_ptr<detail::pool_job>> jobs_;
    std::size_t parked_ = 0;      // workers blocked on work_or_stop_
    std::size_t spinning_ = 0;    // workers polling queued_; each rechecks jobs_ under mutex_
    bool shutting_down_ = false;  // no more submissions; workers exit once jobs_ is empty
    // Lets a worker that just finished a job spin briefly for the next one without taking
    // mutex_ on every poll; written under mutex_.
    std::atomic<std::size_t> queued_{0};

    // Owned by the constructor, shutdown(wait) and the destructor; join_mutex_ makes
    // concurrent shutdown(true) calls join each thread once.
    std::mutex join_mutex_;
    std::vector<std::thread> threads_;
};

}  // namespace shoal
