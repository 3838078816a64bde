#pragma once
// Shared state behind shoal::concurrent::future<T>. The state machine (pending, running,
// cancelled, finished), the lock, callbacks and waiters live in the non-template
// future_state_base (compiled once, in common/src/concurrent_future.cpp); future_state<T>
// only adds the value. wait() and as_completed() talk to the base through future_waiter.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "shoal/common/detail/deadline.hpp"

namespace shoal::concurrent::detail {

// Python's PENDING / RUNNING / CANCELLED / FINISHED. Transitions:
//   pending -> running (set_running_or_notify_cancel), pending -> cancelled (cancel),
//   pending|running -> finished (set_result / set_exception).
enum class future_status : unsigned char { pending, running, cancelled, finished };

class future_state_base;

// One party blocked on several futures (CPython's _Waiter). on_future_done is called once per
// registration when the future finishes or is cancelled, by the thread that settles it and
// with that future's lock held: an implementation records and signals, and never calls back
// into the future (lock order is always future, then waiter).
class future_waiter {
  public:
    virtual ~future_waiter() = default;
    virtual void on_future_done(const future_state_base& state, bool failed) = 0;
};

class future_state_base : public std::enable_shared_from_this<future_state_base> {
  public:
    // Runs once with the settled state; the template layer turns it into a future<T> handle.
    using callback = std::function<void(future_state_base&)>;

    // What add_waiter saw: if the future was already done, the waiter was not registered.
    struct waiter_registration {
        bool done = false;
        bool failed = false;
    };

    future_state_base() = default;
    future_state_base(const future_state_base&) = delete;
    future_state_base& operator=(const future_state_base&) = delete;
    virtual ~future_state_base() = default;

    bool cancel();
    bool cancelled() const;
    bool running() const;
    bool done() const;
    bool set_running_or_notify_cancel();
    void set_exception(std::exception_ptr error);

    // Blocks until done or `until`; returns done().
    bool wait(const deadline& until) const;
    // Throws timeout_error / cancelled_error; nullptr when finished with a value.
    std::exception_ptr exception(const deadline& until) const;
    void add_done_callback(callback fn);

    // How long result()/exception()/wait() poll for completion before parking on the
    // condition variable (default: not at all). An executor whose results usually land
    // within microseconds sets it, because parking and being woken costs more than that; one
    // whose work runs elsewhere (a child process) must not, since on a small machine the
    // spinning caller steals the CPU the work needs. Call before sharing the future.
    void set_wait_spin(std::chrono::nanoseconds spin) noexcept;

    waiter_registration add_waiter(future_waiter& waiter);
    void remove_waiter(future_waiter& waiter);  // no-op if not registered

  protected:
    // Settles with a value: `store` writes it while the lock is held, before anyone can see
    // the finished status. Throws invalid_state_error if already settled or cancelled.
    template <class Store>
    void settle_with_value(Store&& store) {
        std::unique_lock lock(mutex_);
        throw_if_settled_locked();
        std::forward<Store>(store)();
        finish_locked(std::move(lock), nullptr);
    }

    // Waits, then throws timeout_error, cancelled_error or the stored exception. On return
    // the value written by settle_with_value is visible to the caller.
    void wait_for_value(const deadline& until) const;

  private:
    // Polls done_flag_ for wait_spin_ (never past `until`) before a caller parks.
    void spin_briefly(const deadline& until) const;
    bool is_done_locked() const;
    bool wait_locked(std::unique_lock<std::mutex>& lock, const deadline& until) const;
    void throw_if_settled_locked() const;
    // Moves to `finished` (with `error`, if any), wakes everyone, then runs the callbacks
    // with the lock released (Python's order).
    void finish_locked(std::unique_lock<std::mutex> lock, std::exception_ptr error);
    void notify_and_run_callbacks(std::unique_lock<std::mutex> lock);
    void run_callback(callback& fn) noexcept;

    mutable std::mutex mutex_;
    mutable std::condition_variable settled_;        // signalled on finish and cancel
    future_status status_ = future_status::pending;  // guarded by mutex_
    // Mirror of "done" for the short spin in wait(): lets a waiter that is about to be
    // answered skip parking on the condition variable. Written under mutex_.
    std::atomic<bool> done_flag_{false};
    std::chrono::nanoseconds wait_spin_{0};  // set before the future is shared
    std::exception_ptr exception_;           // guarded by mutex_; set once
    std::vector<callback> callbacks_;        // guarded by mutex_; emptied when done
    std::vector<future_waiter*> waiters_;    // guarded by mutex_; not owned
};

template <class T>
class future_state final : public future_state_base {
  public:
    void set_result(T value) {
        settle_with_value([&] { value_.emplace(std::move(value)); });
    }
    // Returns a copy so that a handle dying right after the call cannot leave a dangling ref.
    T result(const deadline& until) const {
        wait_for_value(until);
        return *value_;
    }

  private:
    std::optional<T> value_;  // written once under the base's lock, read only after done
};

template <>
class future_state<void> final : public future_state_base {
  public:
    void set_result() {
        settle_with_value([] {});
    }
    void result(const deadline& until) const { wait_for_value(until); }
};

}  // namespace shoal::concurrent::detail
