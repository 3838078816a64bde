// worker_context's side in the core: the shared client, and slots given back by loop tasks
// that wait on remote work (subtask.hpp). Each job counts its remote waits in progress: the
// first to begin parks it, the last to end queues it for a slot. A parked task does not count
// as running (its slot may start another task) nor as held (its credit went back to the
// broker); when its waits are over it queues for a slot ahead of tasks not started yet.

#include <spdlog/spdlog.h>

#include "worker_core.hpp"

namespace shoal::worker_detail {

shoal::client& worker_core::client() {
    if (!client_) {
        client_options client_settings;
        client_settings.name = options_.name + "/subtasks";
        client_settings.heartbeat_ms = options_.heartbeat_ms;
        client_settings.liveness = options_.liveness;
        client_settings.broker_key_file = options_.broker_key_file;
        client_settings.key_file = options_.key_file;
        client_ = std::make_unique<shoal::client>(options_.broker, client_settings);
    }
    return *client_;
}

// The job whose task runs now, or whose task created the one that runs now (its host tag).
std::uint64_t worker_core::current_job() const noexcept {
    const detail::task_driver* driver = detail::task_driver::current();
    return driver != nullptr ? driver->host_tag() : 0;
}

// The loop tells us when a job's task (or one it created) suspends on a remote future, and
// when that future is done: the same counting as subtask() and without_slot().
bool worker_core::remote_waits::begin_remote_wait(std::uint64_t tag) {
    return core_.begin_remote_wait(tag);
}

detail::ref_ptr<detail::future_base> worker_core::remote_waits::end_remote_wait(std::uint64_t tag) {
    return core_.end_remote_wait(tag).state_ptr();
}

void worker_core::remote_waits::end_remote_wait_now(std::uint64_t tag) {
    core_.end_remote_wait_now(tag);
}

void worker_core::remote_waits::take_slot_now(std::uint64_t tag) { core_.take_slot_now(tag); }

bool worker_core::begin_remote_wait(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.phase != job_phase::running) return false;
    job& j = it->second;
    ++j.remote_waits;
    if (!j.parked) park(j);  // the first wait (a parked job queued to resume stays parked)
    return true;
}

future<void> worker_core::end_remote_wait(std::uint64_t number) {
    future<void> granted = loop_.create_future<void>();
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.remote_waits == 0) {
        granted.set_result();
        return granted;
    }
    job& j = it->second;
    if (--j.remote_waits > 0 || !j.parked) {
        granted.set_result();  // other waits go on: the job stays without its slot
        return granted;
    }
    resuming_.emplace_back(number, granted);
    start_waiting();
    return granted;
}

void worker_core::end_remote_wait_now(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.remote_waits == 0) return;
    if (--it->second.remote_waits == 0 && it->second.parked) unpark(it->second);
}

void worker_core::take_slot_now(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it != jobs_.end() && it->second.parked && it->second.remote_waits == 0) unpark(it->second);
}

void worker_core::park(job& j) {
    j.parked = true;
    --running_;
    ledger_.release(1);
    schedule_flush();  // the credit goes back to the broker in this pass's DONE or a READY
    start_waiting();
    spdlog::debug("worker {}: task {} gave its slot back while it waits", options_.name,
                  j.task.id.to_hex());
}

// May take the slot count past the slots (a wait cancelled): start_waiting() starts nothing
// until it is back under.
void worker_core::unpark(job& j) {
    j.parked = false;
    ++running_;
    ledger_.acquire(1);
}

// Gives free slots to parked tasks whose waits are over, oldest first.
void worker_core::resume_parked() {
    while (running_ < options_.slots && !resuming_.empty()) {
        auto [number, granted] = std::move(resuming_.front());
        resuming_.pop_front();
        if (granted.done()) continue;  // the task was cancelled meanwhile
        const auto it = jobs_.find(number);
        // A job that began another wait meanwhile stays parked; its waits go on.
        if (it != jobs_.end() && it->second.parked && it->second.remote_waits == 0)
            unpark(it->second);
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
