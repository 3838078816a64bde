// Running jobs: a slot each, on the loop, the thread pool or the process pool; time limits;
// cancellation. Each job ends in exactly one finish() (or, past a thread's time limit, one
// report and a slot kept until the thread returns).

#include <spdlog/spdlog.h>

#include "outcomes.hpp"
#include "shoal/common/task.hpp"
#include "worker_core.hpp"

namespace shoal::worker_detail {
namespace {

double limit_seconds(const job& j) {
    return static_cast<double>(*j.task.options.time_limit_ms) / 1000.0;
}

}  // namespace

void worker_core::accept(proto::dispatched_task task) {
    const task_entry* entry = registry_.find(task.name);
    if (entry == nullptr) {
        spdlog::warn("worker {}: no task named '{}' (task {})", options_.name, task.name, task.id.to_hex());
        report({error_outcome(task.id, proto::task_status::unknown_task, unknown_task_type,
                              "worker " + options_.name + " has no task named '" + task.name + "'",
                              options_.name),
                task.attempt});
        return;
    }
    const std::uint64_t number = next_job_++;
    job& j = jobs_[number];
    j.number = number;
    j.task = std::move(task);
    j.entry = entry;
    waiting_.push_back(number);
}

void worker_core::start_waiting() {
    if (leaving_) return;
    resume_parked();  // tasks that already started go first
    while (running_ < options_.slots && !waiting_.empty()) {
        const std::uint64_t number = waiting_.front();
        waiting_.pop_front();
        const auto it = jobs_.find(number);
        if (it == jobs_.end() || it->second.phase != job_phase::waiting) continue;  // cancelled
        start(it->second);
    }
}

void worker_core::start(job& j) {
    j.phase = job_phase::running;
    ++running_;
    const std::uint64_t number = j.number;
    try {
        switch (j.entry->place) {
            case execution_place::loop:
                start_on_loop(j);
                break;
            case execution_place::thread_pool:
                start_on_thread_pool(j);
                break;
            case execution_place::process_pool:
                start_on_process_pool(j);
                break;
        }
    } catch (...) {
        // Submitting failed (a pool shut down, memory): the task fails, the worker goes on.
        finish(number, failed_outcome(j.task.id, std::current_exception(), options_.name));
    }
}

void worker_core::start_on_loop(job& j) {
    j.loop_future = loop_.create_task(j.entry->make_coroutine(std::move(j.task.payload)));
    const std::uint64_t number = j.number;
    j.driver = j.loop_future.state().as_task_driver();
    loop_jobs_[j.driver] = number;
    j.loop_future.add_done_callback([this, number](const future<std::string>&) { on_loop_finished(number); });
    arm_time_limit(j);
}

void worker_core::start_on_thread_pool(job& j) {
    j.pool_future = threads_->submit(
        [call = j.entry->call, payload = std::move(j.task.payload)] { return (*call)(payload); });
    watch_pool_future(j);
    arm_time_limit(j);
}

void worker_core::start_on_process_pool(job& j) {
    call_options limits;
    if (j.task.options.time_limit_ms) limits.time_limit = limit_seconds(j);  // the pool enforces it
    j.pool_future = processes_->submit_raw(j.task.name, std::move(j.task.payload), limits);
    watch_pool_future(j);
}

void worker_core::watch_pool_future(job& j) {
    // Runs on a pool's thread (or here, if already done): hop to the loop through the gate.
    j.pool_future.add_done_callback(
        [gate = gate_, this, number = j.number](concurrent::future<std::string> done) {
            gate->post([this, number, done] { on_pool_finished(number, done); });
        });
}

void worker_core::arm_time_limit(job& j) {
    if (!j.task.options.time_limit_ms) return;
    j.time_limit = loop_.call_later(limit_seconds(j), [this, number = j.number] { on_time_limit(number); });
}

void worker_core::on_time_limit(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.phase != job_phase::running) return;
    job& j = it->second;
    j.limit_passed = true;
    if (j.entry->place == execution_place::loop) {
        j.loop_future.cancel("time limit exceeded");  // on_loop_finished reports it
        return;
    }
    // A thread cannot be interrupted: fail the task now, and keep its slot (and its place
    // under the credit) until the thread returns.
    spdlog::warn("worker {}: task {} ({}) passed its time limit of {} ms; its thread keeps running",
                 options_.name, j.task.id.to_hex(), j.task.name, *j.task.options.time_limit_ms);
    j.phase = job_phase::abandoned;
    ledger_.acquire(1);
    report({error_outcome(j.task.id, proto::task_status::failed, time_limit_type,
                          "the task ran past its time limit of " +
                              std::to_string(*j.task.options.time_limit_ms) + " ms",
                          options_.name),
            j.task.attempt});
}

void worker_core::on_loop_finished(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || leaving_) return;
    job& j = it->second;
    j.time_limit.cancel();
    future<std::string> done = j.loop_future;
    if (done.cancelled()) {
        if (j.limit_passed) {
            finish(number, error_outcome(j.task.id, proto::task_status::failed, time_limit_type,
                                         "the task ran past its time limit of " +
                                             std::to_string(*j.task.options.time_limit_ms) + " ms",
                                         options_.name));
        } else {
            finish(number, error_outcome(j.task.id, proto::task_status::revoked, revoked_type,
                                         "revoked", options_.name));
        }
    } else if (std::exception_ptr error = done.exception()) {
        finish(number, failed_outcome(j.task.id, error, options_.name));
    } else {
        finish(number, ok_outcome(j.task.id, std::move(done.result())));
    }
}

void worker_core::on_pool_finished(std::uint64_t number, const concurrent::future<std::string>& done) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    job& j = it->second;
    if (j.phase == job_phase::abandoned) {
        // Reported at its time limit already; its slot and credit come back now.
        spdlog::info("worker {}: the thread of task {} returned after its time limit", options_.name,
                     j.task.id.to_hex());
        jobs_.erase(it);
        --running_;
        ledger_.release(1);
        schedule_flush();
        start_waiting();
        return;
    }
    j.time_limit.cancel();
    if (done.cancelled()) {
        finish(number, error_outcome(j.task.id, proto::task_status::revoked, revoked_type, "revoked",
                                     options_.name));
    } else if (std::exception_ptr error = done.exception()) {
        finish(number, failed_outcome(j.task.id, error, options_.name));
    } else {
        finish(number, ok_outcome(j.task.id, done.result()));
    }
}

void worker_core::cancel(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    job& j = it->second;
    switch (j.phase) {
        case job_phase::waiting:
            finish(number, error_outcome(j.task.id, proto::task_status::revoked, revoked_type,
                                         "revoked before it started", options_.name));
            return;
        case job_phase::abandoned:
            return;  // reported already
        case job_phase::running:
            break;
    }
    if (j.entry->place == execution_place::loop) {
        j.loop_future.cancel("revoked");  // on_loop_finished reports it
    } else if (!j.pool_future.cancel()) {
        // Queued in the pool, cancel() succeeds and on_pool_finished reports it; running, the
        // call cannot be stopped (yet): it finishes and reports its own outcome.
        spdlog::info("worker {}: task {} runs in the {} and cannot be revoked; it will finish",
                     options_.name, j.task.id.to_hex(), to_string(j.entry->place));
    }
}

void worker_core::finish(std::uint64_t number, proto::outcome outcome) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    if (it->second.parked) {
        ledger_.acquire(1);  // its credit went back when it parked; the report releases it again
    } else if (it->second.phase != job_phase::waiting) {
        --running_;
    }
    if (it->second.driver != nullptr) loop_jobs_.erase(it->second.driver);
    const std::uint32_t attempt = it->second.task.attempt;
    jobs_.erase(it);
    report({std::move(outcome), attempt});
    start_waiting();
}

std::size_t worker_core::busy_jobs() const noexcept {
    std::size_t busy = 0;
    for (const auto& [number, j] : jobs_) {
        if (j.phase != job_phase::abandoned) ++busy;
    }
    return busy;
}

}  // namespace shoal::worker_detail
