#pragma once
// loop_lifetime: the part of an event_loop that other threads reach, shared (std::shared_ptr)
// between the loop and everything that may outlive it: loop_ref, loop_bound_ref, wrapped
// futures' done-callbacks. It holds the call_soon_threadsafe queue and the eventfd that wakes
// the loop, and a flag cleared under its lock when the loop closes, after which every post is
// refused. So a completion that arrives from another thread after the loop is gone finds a
// live object that says "closed", never the freed loop.
//
// It also tracks every loop_bound_ref (a non-atomic reference to a loop-bound object held off
// the loop's thread): when the loop closes, close() takes their references and releases them
// on the closing thread, the only one allowed to touch those counts. Without that a reference
// whose loop is gone could only be leaked.

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "shoal/common/detail/ref_ptr.hpp"
#include "shoal/common/detail/unique_function.hpp"

namespace shoal {
class event_loop;
}

namespace shoal::detail {

class loop_bound_ref_base;

class loop_lifetime {
  public:
    // Creates the wake-up eventfd; throws event_loop_error if it cannot.
    explicit loop_lifetime(event_loop& loop);
    // Closes the eventfd: only when the last holder is gone, so a poster never writes to a
    // closed (or reused) descriptor.
    ~loop_lifetime();
    loop_lifetime(const loop_lifetime&) = delete;
    loop_lifetime& operator=(const loop_lifetime&) = delete;

    int wakeup_fd() const noexcept { return wakeup_fd_; }

    // Any thread: queues cb and wakes the loop. Returns false, leaving cb to the caller, once
    // the loop is closed.
    bool post(unique_function<void()>& cb);
    bool is_closed() const;

    // --- the loop's thread ---
    // Whether posts wait, without a system call or the lock (a busy loop checks every pass).
    bool has_queued() const noexcept { return queued_.load(std::memory_order_acquire); }
    // Consumes the wake-up and appends what was posted to `batch`.
    void take_queued(std::vector<unique_function<void()>>& batch);
    // The loop closes: refuses every later post, releases the references that loop_bound_refs
    // still hold and returns the callbacks still queued (the caller destroys them, on this
    // thread, after its other clean-up). Idempotent.
    std::vector<unique_function<void()>> close() noexcept;

  private:
    friend class loop_bound_ref_base;
    void wake() const noexcept;

    mutable std::mutex mutex_;
    event_loop* loop_;                            // null once closed; guarded by mutex_
    std::vector<unique_function<void()>> queue_;  // guarded by mutex_
    bool wakeup_pending_ = false;                 // guarded by mutex_
    loop_bound_ref_base* refs_ = nullptr;         // guarded by mutex_: intrusive list
    // Mirrors "queue_ is not empty" for has_queued().
    std::atomic<bool> queued_{false};
    int wakeup_fd_ = -1;
};

// The type-erased part of loop_bound_ref<T> (loop_bound_ref.hpp).
class loop_bound_ref_base {
  public:
    loop_bound_ref_base(const loop_bound_ref_base&) = delete;
    loop_bound_ref_base& operator=(const loop_bound_ref_base&) = delete;

  protected:
    // On the loop's thread: adopts one reference to `held`.
    loop_bound_ref_base(event_loop& loop, ref_counted* held) noexcept;
    // On any thread: gives the reference back through the loop (released at once when on
    // the running loop's thread, queued otherwise); nothing is left to give once it closed.
    ~loop_bound_ref_base();

    // Any thread: queues cb on the loop; false (cb destroyed here) once it closed.
    bool post(unique_function<void()> cb) const;
    // The loop's thread: takes the reference (null if taken already, or the loop closed).
    ref_counted* take_held() noexcept { return std::exchange(held_, nullptr); }

  private:
    friend class loop_lifetime;
    std::shared_ptr<loop_lifetime> lifetime_;
    ref_counted* held_;  // one reference owned; written under lifetime_->mutex_ off the loop
    loop_bound_ref_base* prev_ = nullptr;  // lifetime_'s list, guarded by its mutex
    loop_bound_ref_base* next_ = nullptr;
};

}  // namespace shoal::detail
