#pragma once
// shoal::worker_context: what a loop task (run_on::loop) can reach of the worker running it.
//
//     shoal::task<long> total(std::vector<long> xs) {
//         auto& ctx = shoal::worker_context::current();
//         std::vector<shoal::remote_future<long>> parts;
//         for (long x : xs) parts.push_back(ctx.client().submit(square, x));
//         auto squares = co_await shoal::without_slot(shoal::gather(shoal::wrap_futures(parts)));
//         co_return std::accumulate(squares.begin(), squares.end(), 0L);
//     }
//
// client() is a shoal::client connected to the worker's broker, made on first use and shared
// by every task of this worker. Awaiting subtasks through without_slot() or subtask()
// (subtask.hpp) gives the task's slot back while it waits, and returns one credit to the
// broker, so that the subtasks can run here too: a parent holding its slot while its child
// waits for one is how a one-slot worker deadlocks.
//
// Thread-safety: current() and the slot members on the worker's loop thread only (a thread or
// process-pool task has no worker_context); client() returns a thread-safe client.

#include <cstdint>
#include <memory>
#include <string>

#include "shoal/common/future.hpp"

namespace shoal {

class client;

namespace worker_detail {
class worker_core;
}

class worker_context {
  public:
    // The worker whose loop runs on this thread. Throws invalid_state_error elsewhere.
    static worker_context& current();
    static worker_context* current_or_null() noexcept;

    const std::string& worker_name() const noexcept;
    // A client of the same broker (made on first use; closed when the worker stops).
    shoal::client& client();

    // The slot protocol behind without_slot(); see subtask.hpp. A job is the worker's number
    // for a task it runs on its loop.
    // The job whose coroutine runs now (0 if none: not a task the worker dispatched).
    std::uint64_t current_job() const noexcept;
    // One more remote wait of `job` begins; the first gives its slot (and one credit) back.
    // False (nothing counted) if the job is not running.
    bool begin_remote_wait(std::uint64_t job);
    // One ends; a future done once the job may go on: at once while other waits remain, else
    // once it holds a slot again (before any task not started yet gets one).
    future<void> end_remote_wait(std::uint64_t job);
    // One ends by cancellation: the last takes the slot back at once, even beyond the slots.
    void end_remote_wait_now(std::uint64_t job);
    // The future of end_remote_wait was cancelled: take the slot back at once.
    void take_slot_now(std::uint64_t job);

    worker_context(const worker_context&) = delete;
    worker_context& operator=(const worker_context&) = delete;

  private:
    friend class worker_detail::worker_core;
    explicit worker_context(worker_detail::worker_core& core) noexcept : core_(&core) {}

    worker_detail::worker_core* core_;
};

}  // namespace shoal
