#pragma once
// loop_gate: how pool threads hand completions back to the worker's loop. Pool threads may
// outlive the worker (a thread task past its time limit keeps running), so they never hold
// the loop itself: they hold the gate, which the worker closes before its loop goes away.

#include <mutex>

#include "shoal/common/event_loop.hpp"

namespace shoal::worker_detail {

class loop_gate {
  public:
    explicit loop_gate(event_loop& loop) noexcept : loop_(&loop) {}

    // Runs cb on the loop's thread soon; false (cb dropped) once the gate is closed.
    bool post(callback cb) {
        std::lock_guard lock(mutex_);
        if (loop_ == nullptr) return false;
        try {
            loop_->call_soon_threadsafe(std::move(cb));
            return true;
        } catch (...) {
            return false;  // the loop closed first
        }
    }

    void close() noexcept {
        std::lock_guard lock(mutex_);
        loop_ = nullptr;
    }

  private:
    std::mutex mutex_;
    event_loop* loop_;  // guarded by mutex_; null once closed
};

}  // namespace shoal::worker_detail
