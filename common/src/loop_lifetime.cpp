// loop_lifetime and loop_ref: how other threads reach an event loop, and learn that it is gone.

#include "shoal/common/detail/loop_lifetime.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/loop_ref.hpp"

namespace shoal {

namespace detail {

loop_lifetime::loop_lifetime(event_loop& loop) : loop_(&loop) {
    wakeup_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakeup_fd_ < 0) {
        throw event_loop_error(std::string("eventfd failed: ") + std::strerror(errno));
    }
}

loop_lifetime::~loop_lifetime() {
    if (wakeup_fd_ >= 0) ::close(wakeup_fd_);
}

bool loop_lifetime::post(unique_function<void()>& cb) {
    bool must_wake = false;
    {
        std::lock_guard lock(mutex_);
        if (loop_ == nullptr) return false;
        queue_.push_back(std::move(cb));
        // One eventfd write per batch: the loop drains the whole queue on one wake-up.
        must_wake = !std::exchange(wakeup_pending_, true);
        if (must_wake) queued_.store(true, std::memory_order_release);
    }
    if (must_wake) wake();
    return true;
}

void loop_lifetime::wake() const noexcept {
    const std::uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    [[maybe_unused]] ssize_t n = ::write(wakeup_fd_, &one, sizeof one);
}

bool loop_lifetime::is_closed() const {
    std::lock_guard lock(mutex_);
    return loop_ == nullptr;
}

void loop_lifetime::take_queued(std::vector<unique_function<void()>>& batch) {
    std::uint64_t counter = 0;
    [[maybe_unused]] ssize_t n = ::read(wakeup_fd_, &counter, sizeof counter);
    std::lock_guard lock(mutex_);
    if (batch.empty()) {
        batch.swap(queue_);
    } else {
        for (auto& cb : queue_) batch.push_back(std::move(cb));
        queue_.clear();
    }
    wakeup_pending_ = false;
    queued_.store(false, std::memory_order_relaxed);
}

std::vector<unique_function<void()>> loop_lifetime::close() noexcept {
    std::vector<ref_counted*> swept;
    std::vector<unique_function<void()>> pending;
    {
        std::lock_guard lock(mutex_);
        loop_ = nullptr;
        for (loop_bound_ref_base* r = refs_; r != nullptr; r = r->next_) {
            if (ref_counted* held = r->take_held()) swept.push_back(held);
        }
        pending.swap(queue_);
        queued_.store(false, std::memory_order_relaxed);
    }
    // Outside the lock: a release may destroy a future whose callbacks hold other
    // loop_bound_refs, which lock it to leave the list.
    for (ref_counted* held : swept) held->release();
    return pending;
}

// ---------------------------------------------------------------- loop_bound_ref_base

loop_bound_ref_base::loop_bound_ref_base(event_loop& loop, ref_counted* held) noexcept
    : lifetime_(loop.lifetime_), held_(held) {
    std::unique_lock lock(lifetime_->mutex_);
    if (lifetime_->loop_ == nullptr) {
        // Made on a closed loop's thread: nothing will sweep it, so let go now.
        lock.unlock();
        if (ref_counted* h = take_held()) h->release();
        return;
    }
    next_ = lifetime_->refs_;
    if (next_ != nullptr) next_->prev_ = this;
    lifetime_->refs_ = this;
}

namespace {
// Gives one reference back when run on the loop, or when destroyed unrun by its close().
struct releaser {
    ref_counted* raw;
    explicit releaser(ref_counted* r) noexcept : raw(r) {}
    releaser(releaser&& o) noexcept : raw(std::exchange(o.raw, nullptr)) {}
    releaser& operator=(releaser&&) = delete;
    ~releaser() {
        if (raw != nullptr) raw->release();
    }
    void operator()() noexcept {
        if (raw != nullptr) std::exchange(raw, nullptr)->release();
    }
};
}  // namespace

loop_bound_ref_base::~loop_bound_ref_base() {
    ref_counted* release_here = nullptr;
    bool must_wake = false;
    {
        std::lock_guard lock(lifetime_->mutex_);
        if (prev_ != nullptr) {
            prev_->next_ = next_;
        } else if (lifetime_->refs_ == this) {
            lifetime_->refs_ = next_;
        }
        if (next_ != nullptr) next_->prev_ = prev_;
        // Once the loop closed, close() has taken the reference: nothing is left to give.
        ref_counted* held = take_held();
        if (held != nullptr && lifetime_->loop_ != nullptr) {
            if (event_loop::current_or_null() == lifetime_->loop_) {
                release_here = held;  // on the running loop's own thread
            } else {
                // Queued under the same lock that close() takes: either the loop runs it, or
                // its close() destroys it (and so releases) on the loop's thread.
                lifetime_->queue_.emplace_back(releaser(held));
                lifetime_->queued_.store(true, std::memory_order_release);
                must_wake = !std::exchange(lifetime_->wakeup_pending_, true);
            }
        }
    }
    if (must_wake) lifetime_->wake();
    if (release_here != nullptr) release_here->release();
}

bool loop_bound_ref_base::post(unique_function<void()> cb) const { return lifetime_->post(cb); }

}  // namespace detail

// ---------------------------------------------------------------- loop_ref

bool loop_ref::call_soon_threadsafe(detail::unique_function<void()> cb) const {
    return lifetime_ != nullptr && lifetime_->post(cb);
}

bool loop_ref::is_closed() const noexcept { return lifetime_ == nullptr || lifetime_->is_closed(); }

}  // namespace shoal
