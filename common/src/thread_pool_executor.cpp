// shoal::thread_pool_executor: one mutex-guarded deque shared by all workers.
//
// Why one queue and not per-worker queues with stealing: tasks here are blocking calls
// (I/O, libraries that are not async), typically far longer than a lock hand-off, and a
// single FIFO gives Python's ordering for free. The cost that matters on small machines is
// the wake-up latency of a parked thread, so a worker that just finished a job spins briefly
// on an atomic count before parking (see spin_after_job).

#include "shoal/common/thread_pool_executor.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "shoal/common/errors.hpp"

namespace shoal {
namespace {

// Python's cap on the default pool size.
constexpr std::size_t max_default_workers = 32;
// Python adds 4 to the CPU count so that I/O-bound pools keep the CPUs busy.
constexpr std::size_t extra_default_workers = 4;
// How long a worker polls queued_ before parking: long enough to catch the next submit of a
// caller that waits on each result in turn (a futex wake-up costs 10-30 us on small VMs),
// short enough that idle workers soon stop burning CPU.
constexpr auto spin_after_job = std::chrono::microseconds(50);

}  // namespace

std::size_t thread_pool_executor::default_max_workers() noexcept {
    const std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
    return std::min(max_default_workers, cpus + extra_default_workers);
}

thread_pool_executor::thread_pool_executor(std::size_t max_workers) : max_workers_(max_workers) {
    if (max_workers == 0) {
        throw std::invalid_argument("thread_pool_executor needs at least one worker");
    }
    // Ready handshake: each worker counts down once it runs; returning only after all of them
    // did means a caller never races a half-started pool.
    std::latch ready(static_cast<std::ptrdiff_t>(max_workers));
    threads_.reserve(max_workers);
    try {
        for (std::size_t i = 0; i < max_workers; ++i) {
            threads_.emplace_back([this, &ready] { worker_main(ready); });
        }
    } catch (...) {
        // The threads already started count down and then wait for work: stop and join
        // them so that no thread outlives `ready` or this half-built pool.
        shutdown(true);
        throw;
    }
    ready.wait();
}

thread_pool_executor::~thread_pool_executor() { shutdown(true); }

void thread_pool_executor::shutdown(bool wait, bool cancel_futures) {
    std::deque<std::unique_ptr<detail::pool_job>> cancelled;
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
        if (cancel_futures) {
            cancelled.swap(jobs_);
            queued_.store(0, std::memory_order_relaxed);
        }
    }
    work_or_stop_.notify_all();
    // Outside the lock: cancelling runs done-callbacks, which may call back into the pool.
    for (auto& job : cancelled) {
        job->cancel();
    }
    if (wait) {
        join_workers();
    }
}

void thread_pool_executor::enqueue(std::unique_ptr<detail::pool_job> job) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) {
            throw executor_shutdown_error();
        }
        jobs_.push_back(std::move(job));
        queued_.fetch_add(1, std::memory_order_release);
        // Each spinning worker will take one queued job without a wake-up; wake a parked one
        // only for jobs beyond that (waking one more would just race a spinner for a job).
        // Skipping the wake whenever anyone spun lost jobs: one spinner took one of three
        // quick submissions while the parked workers slept on.
        wake = parked_ > 0 && jobs_.size() > spinning_;
    }
    if (wake) {
        work_or_stop_.notify_one();
    }
}

void thread_pool_executor::worker_main(std::latch& ready) {
    ready.count_down();  // `ready` dies once the constructor returns: never touch it again
    while (auto job = next_job()) {
        job->run();
    }
}

std::unique_ptr<detail::pool_job> thread_pool_executor::next_job() {
    std::unique_lock lock(mutex_);
    if (jobs_.empty() && !shutting_down_) {
        spin_for_work(lock);
    }
    ++parked_;
    work_or_stop_.wait(lock, [this] { return !jobs_.empty() || shutting_down_; });
    --parked_;
    return try_pop_locked();  // null: shutting down and drained
}

void thread_pool_executor::spin_for_work(std::unique_lock<std::mutex>& lock) {
    // spinning_ changes only under the lock, so a submitter that saw it non-zero and skipped
    // the notify is sure this worker rechecks jobs_ under the lock afterwards.
    ++spinning_;
    lock.unlock();
    const auto until = std::chrono::steady_clock::now() + spin_after_job;
    while (queued_.load(std::memory_order_acquire) == 0 &&
           std::chrono::steady_clock::now() < until) {
    }
    lock.lock();
    --spinning_;
}

std::unique_ptr<detail::pool_job> thread_pool_executor::try_pop_locked() {
    if (jobs_.empty()) {
        return nullptr;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    return job;
}

void thread_pool_executor::join_workers() {
    std::lock_guard lock(join_mutex_);
    const auto self = std::this_thread::get_id();
    for (auto& thread : threads_) {
        if (thread.joinable() && thread.get_id() != self) {
            thread.join();
        }
    }
}

}  // namespace shoal
