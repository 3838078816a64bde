// worker_context's side in the core: the shared client, and slots given back by loop tasks
// that await subtasks (subtask.hpp). A parked task does not count as running (its slot may
// start another task) nor as held (its credit went back to the broker); when its awaitable is
// done it queues for a slot ahead of tasks not started yet.

#include <spdlog/spdlog.h>

#include "worker_core.hpp"

namespace shoal::worker_detail {

shoal::client& worker_core::client() {
    if (!client_) {
        client_options client_settings;
        client_settings.name = options_.name + "/subtasks";
        client_settings.heartbeat_ms = options_.heartbeat_ms;
        client_settings.liveness = options_.liveness;
        client_ = std::make_unique<shoal::client>(options_.broker, client_settings);
    }
    return *client_;
}

std::uint64_t worker_core::release_slot() {
    const auto found = loop_jobs_.find(detail::task_driver::current());
    if (found == loop_jobs_.end()) return 0;  // not one of our tasks (or a task it created)
    const auto it = jobs_.find(found->second);
    if (it == jobs_.end() || it->second.phase != job_phase::running || it->second.parked) return 0;
    job& j = it->second;
    j.parked = true;
    --running_;
    ledger_.release(1);
    schedule_flush();  // the credit goes back to the broker in this pass's DONE or a READY
    start_waiting();
    spdlog::debug("worker {}: task {} gave its slot back while it waits", options_.name, j.task.id.to_hex());
    return j.number;
}

future<void> worker_core::reclaim_slot(std::uint64_t number) {
    future<void> granted = loop_.create_future<void>();
    const auto it = jobs_.find(number);
    if (number == 0 || it == jobs_.end() || !it->second.parked) {
        granted.set_result();
        return granted;
    }
    resuming_.emplace_back(number, granted);
    start_waiting();
    return granted;
}

// Gives free slots to parked tasks whose awaitable is done, oldest first.
void worker_core::resume_parked() {
    while (running_ < options_.slots && !resuming_.empty()) {
        auto [number, granted] = std::move(resuming_.front());
        resuming_.pop_front();
        if (granted.done()) continue;  // the task was cancelled meanwhile
        const auto it = jobs_.find(number);
        if (it != jobs_.end() && it->second.parked) {
            it->second.parked = false;
            ++running_;
            ledger_.acquire(1);
        }
        granted.set_result();
    }
}

void worker_core::close_client() noexcept {
    if (!client_) return;
    try {
        client_->close();
    } catch (const std::exception& e) {
        spdlog::warn("worker {}: closing the subtask client: {}", options_.name, e.what());
    }
}

}  // namespace shoal::worker_detail
