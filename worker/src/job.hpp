#pragma once
// job: one dispatched task while the worker holds it, from DISPATCH to its outcome.

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/handle.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/worker/task_registry.hpp"

namespace shoal::worker_detail {

enum class job_phase : std::uint8_t {
    waiting,    // held (prefetched), no slot yet
    running,    // holds a slot
    abandoned,  // a thread task past its time limit: reported failed, its thread still busy,
                // so it keeps its slot until the thread returns
};

// Why the worker itself ended a running task, if it did. The strongest cause wins: a hard
// limit passed after a revoke still reports the limit, a revoke after the soft limit the
// revoke (end_outcome maps a cause to what is reported).
enum class end_cause : std::uint8_t {
    none,             // its own result or error stands
    soft_time_limit,  // its soft time limit passed: it was asked to stop
    revoked,          // CANCEL reached it while it ran (a thread task: with terminate)
    terminated,       // CANCEL with terminate on the process pool: its child is killed
    time_limit,       // its hard time limit passed
};

struct job {
    std::uint64_t number = 0;  // the worker's own key (the same task_id may come twice)
    proto::dispatched_task task;
    const task_entry* entry = nullptr;
    job_phase phase = job_phase::waiting;
    future<std::string> loop_future;              // run_on::loop: the task's handle
    concurrent::future<std::string> pool_future;  // the pools: the call's future
    timer_handle time_limit;                      // armed while a limited loop/thread task runs
    timer_handle soft_limit;                      // the same for soft_time_limit_ms
    end_cause cause = end_cause::none;            // see end_cause
    std::stop_source stop;                        // run_on::thread_pool: this_task's token
    bool parked = false;                          // a loop task that gave its slot back
    std::uint32_t remote_waits = 0;               // its waits in progress (subtask.hpp)
    detail::task_driver* driver = nullptr;        // run_on::loop: the task's driver
    double started_at = -1;                       // loop time it took a slot; -1 before
    // A chunk (chunk_calls.hpp) on the process pool: its calls, made one after another, and
    // the results so far.
    std::vector<std::string> chunk_calls;
    std::vector<std::string> chunk_results;
    std::size_t chunk_calls_sent = 0;  // 0 for an empty chunk: its future holds the result

    bool is_chunk() const noexcept { return task.options.chunk.value_or(false); }

    // Records a cause for ending it; a weaker one than already recorded changes nothing.
    void end_for(end_cause why) noexcept {
        if (why > cause) cause = why;
    }
};

}  // namespace shoal::worker_detail
