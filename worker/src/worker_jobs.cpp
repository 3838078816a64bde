// Running jobs: a slot each, on the loop, the thread pool or the process pool; soft and hard
// time limits; cancellation and terminate. Each job ends in exactly one finish() (or, past a
// thread's time limit, one report and a slot kept until the thread returns).
//
// Soft limit (soft_time_limit_ms): a loop task is cancelled with soft_limit_cancel_message (it
// may catch cancelled_error and go on); a thread task's stop token is requested
// (this_task::stop_requested()); a process task's child is signalled by the pool. Hard limit
// (time_limit_ms): a loop task is cancelled; a thread task is reported failed and keeps its
// slot until it returns (its token is requested too); the pool kills a process task's child.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "chunk_calls.hpp"
#include "outcomes.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/this_task.hpp"
#include "shoal/worker/time_limits.hpp"
#include "worker_core.hpp"

namespace shoal::worker_detail {
namespace {

double seconds(std::uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

// Whether `error` is the pool's own hard-limit error (not a soft limit the task threw).
bool is_hard_limit(const std::exception_ptr& error) {
    return holds<time_limit_exceeded>(error) && !holds<soft_time_limit_exceeded>(error);
}

}  // namespace

void worker_core::accept(proto::dispatched_task task) {
    const task_entry* entry = registry_.find(task.name);
    if (entry == nullptr) {
        spdlog::warn("worker {}: no task named '{}' (task {})", options_.name, task.name,
                     task.id.to_hex());
        report({error_outcome(task.id, proto::task_status::unknown_task, unknown_task_type,
                              "worker " + options_.name + " has no task named '" + task.name + "'",
                              options_.name),
                task.attempt,
                {}});
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
    hop_trace::record(hop_trace::hop::task_start, j.task.id.as_bytes());
    j.phase = job_phase::running;
    j.started_at = loop_.time();
    ++running_;
    const std::uint64_t number = j.number;
    started_.push_back(number);
    schedule_flush();
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
        finish_failed(number, std::current_exception());
    }
}

void worker_core::start_on_loop(job& j) {
    auto coroutine = j.is_chunk() ? run_chunk_on_loop(j.entry, std::move(j.task.payload))
                                  : j.entry->make_coroutine(std::move(j.task.payload));
    // Not named: a slow step is named from loop_jobs_ when it is reported (report_slow_steps),
    // so the hot path builds no string per task.
    j.loop_future = loop_.create_task(std::move(coroutine));
    const std::uint64_t number = j.number;
    j.driver = j.loop_future.state().as_task_driver();
    // The tag is how a wait on remote work finds its job, also from a task this one creates
    // (which inherits it); set it even if this runs inside another job's step.
    j.driver->set_host_tag(number);
    loop_jobs_[j.driver] = number;
    j.loop_future.add_done_callback(
        [this, number](const future<std::string>&) { on_loop_finished(number); });
    arm_time_limit(j);
}

void worker_core::start_on_thread_pool(job& j) {
    j.pool_future =
        threads_->submit([call = j.entry->call, payload = std::move(j.task.payload),
                          token = j.stop.get_token(), chunk = j.is_chunk(), name = j.entry->name] {
            this_task::stop_scope scope(token);
            if (!chunk) return (*call)(payload);
            std::vector<std::string> results;
            for (const std::string& args : split_chunk(payload, name))
                results.push_back((*call)(args));
            return join_results(results);
        });
    watch_pool_future(j);
    arm_time_limit(j);
}

void worker_core::start_on_process_pool(job& j) {
    call_options limits;  // the pool enforces both
    if (j.task.options.time_limit_ms) limits.time_limit = seconds(*j.task.options.time_limit_ms);
    if (j.task.options.soft_time_limit_ms) {
        limits.soft_time_limit = seconds(*j.task.options.soft_time_limit_ms);
    }
    if (!j.is_chunk()) {
        j.pool_future = processes_->submit_raw(j.task.name, std::move(j.task.payload), limits);
    } else {
        // One call at a time, so that a terminate kills the child of the call running now.
        j.chunk_calls = split_chunk(j.task.payload, j.task.name);
        std::reverse(j.chunk_calls.begin(), j.chunk_calls.end());  // taken from the back
        j.chunk_results.reserve(j.chunk_calls.size());
        if (j.chunk_calls.empty()) {
            j.pool_future = concurrent::make_future<std::string>();
            j.pool_future.try_set_result(join_results({}));
        } else {
            submit_next_chunk_call(j);
            return;
        }
    }
    watch_pool_future(j);
}

void worker_core::submit_next_chunk_call(job& j) {
    call_options limits;
    if (j.task.options.time_limit_ms) limits.time_limit = seconds(*j.task.options.time_limit_ms);
    if (j.task.options.soft_time_limit_ms) {
        limits.soft_time_limit = seconds(*j.task.options.soft_time_limit_ms);
    }
    std::string args = std::move(j.chunk_calls.back());
    j.chunk_calls.pop_back();
    ++j.chunk_calls_sent;
    j.pool_future = processes_->submit_raw(j.task.name, std::move(args), limits);
    watch_pool_future(j);
}

void worker_core::watch_pool_future(job& j) {
    // Runs on a pool's thread (or here, if already done): hop to the loop through the gate.
    j.pool_future.add_done_callback(
        [gate = gate_, this, number = j.number](const concurrent::future<std::string>& done) {
            gate->post([this, number, done] { on_pool_finished(number, done); });
        });
}

void worker_core::arm_time_limit(job& j) {
    const std::uint64_t number = j.number;
    if (j.task.options.time_limit_ms) {
        j.time_limit = loop_.call_later(seconds(*j.task.options.time_limit_ms),
                                        [this, number] { on_time_limit(number); });
    }
    if (j.task.options.soft_time_limit_ms) {
        j.soft_limit = loop_.call_later(seconds(*j.task.options.soft_time_limit_ms),
                                        [this, number] { on_soft_time_limit(number); });
    }
}

void worker_core::on_soft_time_limit(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.phase != job_phase::running) return;
    job& j = it->second;
    j.end_for(end_cause::soft_time_limit);
    spdlog::info("worker {}: task {} ({}) passed its soft time limit of {} ms; asking it to stop",
                 options_.name, j.task.id.to_hex(), j.task.name,
                 *j.task.options.soft_time_limit_ms);
    if (j.entry->place == execution_place::loop) {
        // Catchable: the coroutine may clean up and return; is_soft_time_limit tells it apart.
        j.loop_future.cancel(std::string(soft_limit_cancel_message) + ": " +
                             limit_message(*j.task.options.soft_time_limit_ms, true));
    } else {
        j.stop.request_stop();  // the thread task's this_task::stop_requested()
    }
}

void worker_core::on_time_limit(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || it->second.phase != job_phase::running) return;
    job& j = it->second;
    j.end_for(end_cause::time_limit);
    if (j.entry->place == execution_place::loop) {
        j.loop_future.cancel("time limit exceeded");  // on_loop_finished reports it
        return;
    }
    j.stop.request_stop();  // all a thread can be told
    // A thread cannot be interrupted: fail the task now, and keep its slot (and its place
    // under the credit) until the thread returns.
    spdlog::warn("worker {}: task {} ({}) passed its time limit of {} ms; its thread keeps running",
                 options_.name, j.task.id.to_hex(), j.task.name, *j.task.options.time_limit_ms);
    j.phase = job_phase::abandoned;
    ledger_.acquire(1);
    report({error_outcome(j.task.id, proto::task_status::failed, time_limit_type,
                          limit_message(*j.task.options.time_limit_ms, false), options_.name),
            j.task.attempt,
            {},
            runtime_us_of(j)});
}

// What a job that ended with `error` (null: its loop task was cancelled) reports when the
// worker itself ended it (j.cause, or the pool's own hard limit); nullopt when the task's own
// outcome stands.
std::optional<proto::outcome> worker_core::end_outcome(const job& j,
                                                       const std::exception_ptr& error) const {
    const auto failed = [&](const char* type, std::uint64_t limit_ms, bool soft) {
        return error_outcome(j.task.id, proto::task_status::failed, type,
                             limit_message(limit_ms, soft), options_.name);
    };
    const auto revoked = [&](std::string message) {
        return error_outcome(j.task.id, proto::task_status::revoked, revoked_type,
                             std::move(message), options_.name);
    };
    const bool cancelled = !error;
    switch (j.cause) {
        case end_cause::time_limit:
            if (cancelled) return failed(time_limit_type, *j.task.options.time_limit_ms, false);
            break;
        case end_cause::terminated:
            if (holds<terminated_error>(error))
                return revoked("revoked: terminated, its process was killed");
            break;
        case end_cause::revoked:
            if (cancelled) return revoked("revoked");
            // A thread task revoked with terminate, its stop token requested: it stopped by
            // throwing.
            if (j.entry->place == execution_place::thread_pool)
                return revoked("revoked: the task stopped on request");
            break;
        case end_cause::soft_time_limit:
            if (cancelled)
                return failed(soft_time_limit_type, *j.task.options.soft_time_limit_ms, true);
            break;
        case end_cause::none:
            break;
    }
    if (cancelled) return revoked("revoked");
    if (j.entry->place == execution_place::process_pool && j.task.options.time_limit_ms &&
        is_hard_limit(error)) {
        return failed(time_limit_type, *j.task.options.time_limit_ms,
                      false);  // the pool's own limit
    }
    return std::nullopt;
}

void worker_core::on_loop_finished(std::uint64_t number) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end() || leaving_) return;
    job& j = it->second;
    j.time_limit.cancel();
    j.soft_limit.cancel();
    future<std::string> done = j.loop_future;
    if (done.cancelled()) {
        finish(number, end_outcome(j, nullptr).value());  // cancelled: by the worker, always
    } else if (std::exception_ptr error = done.exception()) {
        finish_failed(number, error);
    } else {
        finish(number, ok_outcome(j.task.id, std::move(done.result())));
    }
}

void worker_core::on_pool_finished(std::uint64_t number,
                                   const concurrent::future<std::string>& done) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    job& j = it->second;
    if (j.phase == job_phase::abandoned) {
        // Reported at its time limit already; its slot and credit come back now.
        spdlog::info("worker {}: the thread of task {} returned after its time limit",
                     options_.name, j.task.id.to_hex());
        jobs_.erase(it);
        --running_;
        ledger_.release(1);
        schedule_flush();
        start_waiting();
        return;
    }
    j.time_limit.cancel();
    j.soft_limit.cancel();
    if (done.cancelled()) {
        // Cancelled while queued in the pool: only a revoke does that.
        finish(number, error_outcome(j.task.id, proto::task_status::revoked, revoked_type,
                                     "revoked", options_.name));
    } else if (std::exception_ptr error = done.exception()) {
        if (auto outcome = end_outcome(j, error)) {
            finish(number, std::move(*outcome));
        } else {
            finish_failed(number, error);
        }
    } else if (j.chunk_calls_sent > 0) {  // a chunk on the process pool: one call is done
        j.chunk_results.push_back(done.result());
        if (!j.chunk_calls.empty()) {
            try {
                submit_next_chunk_call(j);
            } catch (...) {
                finish_failed(number, std::current_exception());
            }
            return;
        }
        finish(number, ok_outcome(j.task.id, join_results(j.chunk_results)));
    } else {
        finish(number, ok_outcome(j.task.id, done.result()));
    }
}

void worker_core::cancel(std::uint64_t number, bool terminate) {
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
        j.end_for(end_cause::revoked);
        j.loop_future.cancel("revoked");  // on_loop_finished reports it
        return;
    }
    if (j.pool_future.cancel()) return;  // queued in the pool: on_pool_finished reports it
    if (!terminate) {
        // Running, without terminate: it finishes and reports its own outcome.
        spdlog::info("worker {}: task {} runs in the {}; revoked without terminate, it will finish",
                     options_.name, j.task.id.to_hex(), to_string(j.entry->place));
        return;
    }
    if (j.entry->place == execution_place::process_pool) {
        // The pool kills the child and fails the call with terminated_error: reported revoked.
        j.end_for(end_cause::terminated);
        processes_->terminate(j.pool_future);
        return;
    }
    j.end_for(end_cause::revoked);
    // A thread cannot be killed: its stop token is requested. If it then throws, it is
    // reported revoked; if it returns a value, that is its outcome.
    spdlog::info(
        "worker {}: task {} runs on a thread, which cannot be killed; its stop token is "
        "requested",
        options_.name, j.task.id.to_hex());
    j.stop.request_stop();
}

void worker_core::finish_failed(std::uint64_t number, const std::exception_ptr& error) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    auto countdown = retry_countdown_ms(error);
    finish(number, failed_outcome(it->second.task.id, error, options_.name), countdown);
}

void worker_core::finish(std::uint64_t number, proto::outcome outcome,
                         std::optional<std::uint64_t> retry_countdown) {
    const auto it = jobs_.find(number);
    if (it == jobs_.end()) return;
    if (it->second.parked) {
        ledger_.acquire(1);  // its credit went back when it parked; the report releases it again
    } else if (it->second.phase != job_phase::waiting) {
        --running_;
    }
    if (it->second.driver != nullptr) loop_jobs_.erase(it->second.driver);
    const std::uint32_t attempt = it->second.task.attempt;
    const std::optional<std::uint64_t> runtime_us = runtime_us_of(it->second);
    task_log_.finished(it->second.task.name, outcome,
                       static_cast<double>(runtime_us.value_or(0)) / 1e6, loop_.time());
    jobs_.erase(it);
    report({std::move(outcome), attempt, retry_countdown, runtime_us});
    start_waiting();
}

std::optional<std::uint64_t> worker_core::runtime_us_of(const job& j) const {
    if (j.started_at < 0) return std::nullopt;  // never ran (cancelled while held)
    return static_cast<std::uint64_t>(std::max(0.0, loop_.time() - j.started_at) * 1e6);
}

std::size_t worker_core::busy_jobs() const noexcept {
    std::size_t busy = 0;
    for (const auto& [number, j] : jobs_) {
        if (j.phase != job_phase::abandoned) ++busy;
    }
    return busy;
}

}  // namespace shoal::worker_detail
