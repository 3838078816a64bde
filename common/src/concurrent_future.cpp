// The state machine of shoal::concurrent::future (see detail/future_state.hpp).
//
// Invariant: once status_ is cancelled or finished it never changes again, and callbacks_
// and waiters_ have been handed out exactly once. That is what makes "callbacks run exactly
// once" hold when add_done_callback races with set_result: both sides decide under mutex_.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "refuse_blocking_in_loop.hpp"
#include "shoal/common/detail/future_state.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::concurrent::detail {
namespace {

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "non-standard exception";
    }
}

}  // namespace

void refuse_blocking_in_loop(const deadline& until, const char* what) {
    if (until && *until <= clock::now()) return;  // a poll never blocks
    if (event_loop::current_or_null() == nullptr) return;
    throw event_loop_error(
        std::string(what) +
        " would block the thread of a running event loop, stalling every task, timer and "
        "socket of that loop until it returned. In a task, co_await the future instead; run "
        "blocking code in a thread pool with loop.run_in_executor(nullptr, fn) and co_await that");
}

bool future_state_base::cancel() {
    std::unique_lock lock(mutex_);
    if (status_ == future_status::running || status_ == future_status::finished) {
        return false;
    }
    if (status_ == future_status::cancelled) {
        return true;
    }
    status_ = future_status::cancelled;
    notify_and_run_callbacks(std::move(lock));
    return true;
}

bool future_state_base::cancelled() const {
    std::lock_guard lock(mutex_);
    return status_ == future_status::cancelled;
}

bool future_state_base::running() const {
    std::lock_guard lock(mutex_);
    return status_ == future_status::running;
}

bool future_state_base::done() const {
    std::lock_guard lock(mutex_);
    return is_done_locked();
}

bool future_state_base::set_running_or_notify_cancel() {
    std::lock_guard lock(mutex_);
    if (status_ == future_status::cancelled) {
        // Waiters and callbacks were told at cancel() time already (unlike CPython, which
        // defers that to here): a cancelled future is done whether or not an executor ever
        // looks at it again.
        return false;
    }
    if (status_ != future_status::pending) {
        throw invalid_state_error("future is already running or finished");
    }
    status_ = future_status::running;
    return true;
}

void future_state_base::set_exception(std::exception_ptr error) {
    if (!error) {
        throw invalid_state_error("set_exception needs a non-null exception_ptr");
    }
    std::unique_lock lock(mutex_);
    throw_if_settled_locked();
    finish_locked(std::move(lock), std::move(error));
}

bool future_state_base::wait(const deadline& until) const {
    if (!done_flag_.load(std::memory_order_acquire))
        refuse_blocking_in_loop(until, "waiting for a pending future");
    spin_briefly(until);
    std::unique_lock lock(mutex_);
    return wait_locked(lock, until);
}

std::exception_ptr future_state_base::exception(const deadline& until) const {
    if (!done_flag_.load(std::memory_order_acquire))
        refuse_blocking_in_loop(until, "waiting for a pending future");
    spin_briefly(until);
    std::unique_lock lock(mutex_);
    if (!wait_locked(lock, until)) {
        throw timeout_error();
    }
    if (status_ == future_status::cancelled) {
        throw cancelled_error();
    }
    return exception_;
}

void future_state_base::wait_for_value(const deadline& until) const {
    if (auto error = exception(until)) {
        std::rethrow_exception(error);
    }
}

void future_state_base::add_done_callback(callback fn) {
    {
        std::lock_guard lock(mutex_);
        if (!is_done_locked()) {
            callbacks_.push_back(std::move(fn));
            return;
        }
    }
    // Already done: Python runs it at once, in the caller's thread.
    run_callback(fn);
}

future_state_base::waiter_registration future_state_base::add_waiter(future_waiter& waiter) {
    std::lock_guard lock(mutex_);
    if (is_done_locked()) {
        return {true, exception_ != nullptr};
    }
    waiters_.push_back(&waiter);
    return {false, false};
}

void future_state_base::remove_waiter(future_waiter& waiter) {
    std::lock_guard lock(mutex_);
    std::erase(waiters_, &waiter);
}

void future_state_base::set_wait_spin(std::chrono::nanoseconds spin) noexcept { wait_spin_ = spin; }

void future_state_base::spin_briefly(const deadline& until) const {
    if (wait_spin_ <= std::chrono::nanoseconds::zero()) {
        return;
    }
    auto spin_until = clock::now() + wait_spin_;
    if (until) {
        spin_until = std::min(spin_until, *until);  // result(0.0) must not spin at all
    }
    while (!done_flag_.load(std::memory_order_acquire) && clock::now() < spin_until) {
    }
}

bool future_state_base::is_done_locked() const {
    return status_ == future_status::cancelled || status_ == future_status::finished;
}

bool future_state_base::wait_locked(std::unique_lock<std::mutex>& lock,
                                    const deadline& until) const {
    const auto is_done = [this] { return is_done_locked(); };
    if (!until) {
        settled_.wait(lock, is_done);
        return true;
    }
    return settled_.wait_until(lock, *until, is_done);
}

void future_state_base::throw_if_settled_locked() const {
    if (status_ == future_status::cancelled) {
        throw invalid_state_error("cannot settle a cancelled future");
    }
    if (status_ == future_status::finished) {
        throw invalid_state_error("future is already finished");
    }
}

void future_state_base::finish_locked(std::unique_lock<std::mutex> lock, std::exception_ptr error) {
    exception_ = std::move(error);
    status_ = future_status::finished;
    notify_and_run_callbacks(std::move(lock));
}

void future_state_base::notify_and_run_callbacks(std::unique_lock<std::mutex> lock) {
    done_flag_.store(true, std::memory_order_release);
    const bool failed = exception_ != nullptr;
    for (future_waiter* waiter : waiters_) {
        waiter->on_future_done(*this, failed);
    }
    waiters_.clear();
    std::vector<callback> callbacks = std::move(callbacks_);
    callbacks_.clear();
    lock.unlock();
    // notify after unlock: woken threads do not immediately block on mutex_ again.
    settled_.notify_all();
    for (callback& fn : callbacks) {
        run_callback(fn);
    }
}

void future_state_base::run_callback(callback& fn) noexcept {
    try {
        fn(*this);
    } catch (...) {
        // Python's Future._invoke_callbacks logs and carries on: one bad callback must not
        // stop the others or reach the thread that settled the future.
        spdlog::error("exception calling callback for concurrent future: {}",
                      describe(std::current_exception()));
    }
}

}  // namespace shoal::concurrent::detail
