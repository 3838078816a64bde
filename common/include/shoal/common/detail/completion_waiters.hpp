#pragma once
// The waiters behind the blocking wait() and as_completed() (CPython's _Waiter family),
// implemented in common/src/concurrent_wait.cpp. Each is registered on every future it
// watches and told, under that future's lock, when the future is done: no polling.

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "shoal/common/detail/deadline.hpp"
#include "shoal/common/detail/future_state.hpp"
#include "shoal/common/return_when.hpp"

namespace shoal::concurrent::detail {

// Blocks until `mode` holds for `states` or `until` passes. Never throws on timeout; the
// caller reads each future's done() afterwards. `states` may contain duplicates.
void wait_for_states(const std::vector<future_state_base*>& states, const deadline& until,
                     return_when mode);

// A FIFO of futures in the order they became done. Thread-safety: on_future_done may run
// on any thread; pop is for the one consuming thread.
class completion_queue final : public future_waiter {
  public:
    void on_future_done(const future_state_base& state, bool failed) override;
    // The next done future, waiting until `until`; nullptr if the deadline passed first.
    const future_state_base* pop(const deadline& until);

  private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<const future_state_base*> finished_;  // guarded by mutex_
    std::size_t next_ = 0;                            // guarded by mutex_; index into finished_
};

}  // namespace shoal::concurrent::detail
