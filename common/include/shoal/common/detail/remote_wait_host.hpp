#pragma once
// What a loop's host is told when one of its tasks waits on remote work.
//
// The worker runs each task it dispatched as a task on its loop and counts it against its
// slots. A task that waits on a task running elsewhere (a remote future, or gather, wait,
// as_completed or wait_for over one) must give its slot back while it waits, or a few such
// tasks on a busy cluster wait for each other's slots forever. The runtime cannot know about
// slots; it knows which futures are remote (future_base::remote) and which host tag a task
// carries (task_driver::host_tag, inherited by the tasks it creates). A task with a tag that
// suspends on a remote future tells the loop's host here; when the future is done the task
// goes on only once the host's grant is done (the host gives it a slot back first).
// Loop thread only.

#include <cstdint>

#include "shoal/common/detail/ref_ptr.hpp"

namespace shoal::detail {

class future_base;

class remote_wait_host {
  public:
    // The task tagged `tag` begins to wait on remote work. False: not counted (the host has
    // no such task running), and nothing is ended later.
    virtual bool begin_remote_wait(std::uint64_t tag) = 0;
    // One counted wait ended with the remote work done: a future done once the task may go
    // on (null, or done: at once).
    virtual ref_ptr<future_base> end_remote_wait(std::uint64_t tag) = 0;
    // One counted wait ended by cancellation: the task goes on at once.
    virtual void end_remote_wait_now(std::uint64_t tag) = 0;
    // A grant from end_remote_wait was cancelled: the task goes on at once.
    virtual void take_slot_now(std::uint64_t tag) = 0;

  protected:
    remote_wait_host() = default;
    ~remote_wait_host() = default;
    remote_wait_host(const remote_wait_host&) = default;
    remote_wait_host& operator=(const remote_wait_host&) = default;
};

}  // namespace shoal::detail
