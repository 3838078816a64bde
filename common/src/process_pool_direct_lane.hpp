#pragma once
// A process pool child as submitting threads see it: the direct lane.
//
// A submitter that finds a child idle writes its call to the child's socket itself, on its own
// thread, and parks the call here; no manager wake-up is needed to send. The manager offers
// the lane only for a live child with no call, and takes it back (adopting the parked call)
// before it reads that child's response, declares the child lost, or writes to or closes its
// socket. So the socket is open whenever the lane is idle, and at most one request is ever
// outstanding per child. A write that fails marks the lane lost: the call did not run, and the
// manager replaces the child. Every member is called with the manager's mutex held.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shoal/common/process_pool_executor.hpp"

namespace shoal::detail::pool {

// A call between submit and its response.
struct queued_call {
    std::uint64_t id = 0;
    std::string name;
    std::string args;  // msgpack array
    std::optional<double> time_limit;
    std::optional<double> soft_time_limit;
    std::unique_ptr<call_completion> completion;
    bool started = false;  // completion->start() succeeded (the future is running)
};

class direct_lane {
  public:
    // Larger requests go through the manager: a write under the mutex must never block (an
    // idle child's socket buffer is empty and holds far more than this).
    static constexpr std::size_t frame_limit = std::size_t{16} * 1024;

    // Whether `call` may go direct at all: no time limit (the manager times those) and small.
    static bool fits(const queued_call& call) noexcept;

    // Manager: lets a submitter write one call to `fd`. False if the lane still holds what a
    // submitter left in it (the manager must take it back first).
    bool offer(int fd) noexcept;
    bool idle() const noexcept { return idle_; }

    // Submitter, on an idle lane: claims it and writes `call` to the child. True when the
    // caller has nothing more to do: the call was sent (parked here until the manager takes
    // it), or was cancelled before it started. False: queue it (the write failed and the lane
    // is marked lost).
    bool send(queued_call& call);

    // Manager: closes the lane; what a submitter left in it.
    struct taken_back {
        std::optional<queued_call> sent;  // the call written to the child, if any
        bool lost = false;                // a write failed: the child may hold half a frame
    };
    taken_back take_back() noexcept;

  private:
    bool idle_ = false;
    bool lost_ = false;
    int fd_ = -1;                      // the child's socket; open while idle
    std::optional<queued_call> sent_;  // the call a submitter wrote, not yet taken back
};

}  // namespace shoal::detail::pool
