#pragma once
// job: one dispatched task while the worker holds it, from DISPATCH to its outcome.

#include <cstdint>
#include <stop_token>
#include <string>

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

struct job {
    std::uint64_t number = 0;      // the worker's own key (the same task_id may come twice)
    proto::dispatched_task task;
    const task_entry* entry = nullptr;
    job_phase phase = job_phase::waiting;
    future<std::string> loop_future;               // run_on::loop: the task's handle
    concurrent::future<std::string> pool_future;   // the pools: the call's future
    timer_handle time_limit;                       // armed while a limited loop/thread task runs
    timer_handle soft_limit;                       // the same for soft_time_limit_ms
    bool limit_passed = false;                     // the time limit fired
    bool soft_passed = false;                      // the soft time limit fired
    bool revoke_requested = false;                 // CANCEL reached it while it ran
    bool terminate_requested = false;              // ... with terminate, on the process pool
    std::stop_source stop;                         // run_on::thread_pool: this_task's token
    bool parked = false;                           // a loop task that gave its slot back
    std::uint32_t remote_waits = 0;                // its waits in progress (subtask.hpp)
    detail::task_driver* driver = nullptr;         // run_on::loop: the task's driver (its key
                                                   // for worker_context::current_job)
};

}  // namespace shoal::worker_detail
