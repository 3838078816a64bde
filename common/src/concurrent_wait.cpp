// The waiters behind shoal::concurrent::wait and as_completed (CPython's
// _AllCompletedWaiter/_FirstCompletedWaiter and _AsCompletedWaiter folded into two classes).
//
// Registration is race-free without locking every future at once (CPython takes all their
// locks): add_waiter checks "done?" and registers under the same future's lock, so each
// future is counted exactly once, either as already done or by its later notification.

#include "refuse_blocking_in_loop.hpp"
#include "shoal/common/detail/completion_waiters.hpp"

namespace shoal::concurrent::detail {
namespace {

// Counts completions and failures until the return_when condition holds.
class counting_waiter final : public future_waiter {
  public:
    counting_waiter(return_when mode, std::size_t watched) : mode_(mode), watched_(watched) {}

    void on_future_done(const future_state_base& /*state*/, bool failed) override {
        {
            std::lock_guard lock(mutex_);
            ++finished_;
            failures_ += failed ? 1 : 0;
        }
        changed_.notify_one();
    }

    // Throws event_loop_error instead of blocking a loop's thread (refuse_blocking_in_loop).
    void wait(const deadline& until) {
        std::unique_lock lock(mutex_);
        const auto satisfied = [this] { return satisfied_locked(); };
        if (!satisfied()) refuse_blocking_in_loop(until, "concurrent::wait on pending futures");
        if (!until) {
            changed_.wait(lock, satisfied);
        } else {
            changed_.wait_until(lock, *until, satisfied);
        }
    }

  private:
    bool satisfied_locked() const {
        switch (mode_) {
            case return_when::first_completed:
                return finished_ > 0 || watched_ == 0;
            case return_when::first_exception:
                return failures_ > 0 || finished_ == watched_;
            case return_when::all_completed:
                return finished_ == watched_;
        }
        return true;
    }

    const return_when mode_;
    const std::size_t watched_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t finished_ = 0;  // guarded by mutex_
    std::size_t failures_ = 0;  // guarded by mutex_
};

}  // namespace

void wait_for_states(const std::vector<future_state_base*>& states, const deadline& until,
                     return_when mode) {
    counting_waiter waiter(mode, states.size());
    // However the wait ends (it may refuse to block a loop's thread), no future may call back
    // into the waiter after this frame, which it dies with.
    struct unregister {
        const std::vector<future_state_base*>& states;
        counting_waiter& waiter;
        ~unregister() {
            for (future_state_base* state : states) state->remove_waiter(waiter);
        }
    } on_exit{states, waiter};
    for (future_state_base* state : states) {
        const auto registration = state->add_waiter(waiter);
        if (registration.done) {
            waiter.on_future_done(*state, registration.failed);
        }
    }
    waiter.wait(until);
}

void completion_queue::on_future_done(const future_state_base& state, bool /*failed*/) {
    {
        std::lock_guard lock(mutex_);
        finished_.push_back(&state);
    }
    arrived_.notify_one();
}

const future_state_base* completion_queue::pop(const deadline& until) {
    std::unique_lock lock(mutex_);
    const auto ready = [this] { return next_ < finished_.size(); };
    if (!ready()) refuse_blocking_in_loop(until, "advancing concurrent::as_completed");
    if (!until) {
        arrived_.wait(lock, ready);
    } else if (!arrived_.wait_until(lock, *until, ready)) {
        return nullptr;
    }
    return finished_[next_++];
}

}  // namespace shoal::concurrent::detail
