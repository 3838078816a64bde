// Leaving: the first SIGTERM/SIGINT (or stop()) drains: DRAIN tells the broker to send no
// more and hands back every task held but not started (the broker runs them elsewhere at
// once), what runs finishes and is reported, then BYE and run() returns 0. A DISPATCH that
// crossed the DRAIN is handed back as it comes. The grace period bounds the wait (run() then
// returns 1, leaving unreported tasks to the broker's re-queueing). A second signal exits the
// process at once with 128 + the signal number.

#include <signal.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "worker_core.hpp"

namespace shoal::worker_detail {

namespace {

std::string signal_name(int signo) {
    const char* abbrev = ::sigabbrev_np(signo);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

}  // namespace

void worker_core::on_signal(int signo) {
    if (!draining_) {
        spdlog::info("worker {}: {} received: draining (send it again to exit at once)",
                     options_.name, signal_name(signo));
        begin_drain("signal");
        return;
    }
    exit_now(signo);
}

void worker_core::begin_drain(std::string_view why) {
    if (draining_ || leaving_) return;
    draining_ = true;
    if (options_.hooks.draining) options_.hooks.draining();
    ledger_.stop_granting();
    hand_back();
    grace_timer_ = loop_.call_later(options_.grace_seconds, [this] { on_grace_expired(); });
    spdlog::info("worker {}: draining ({}): {} task(s) held, {} s grace", options_.name, why,
                 jobs_.size(), options_.grace_seconds);
    check_drained();
}

void worker_core::hand_back(std::vector<proto::dispatched_task> tasks) {
    proto::drain message;
    for (const auto& t : tasks) message.returned.push_back({t.id, t.attempt});
    std::vector<std::uint64_t> waiting;
    if (tasks.empty()) {
        for (const auto& [number, j] : jobs_) {
            if (j.phase == job_phase::waiting) {
                waiting.push_back(number);
                message.returned.push_back({j.task.id, j.task.attempt});
            }
        }
    }
    // Not in a session: the broker takes everything back when it finds the session over.
    if (!link_ || !link_->in_session() || !link_->send(message)) {
        for (auto& t : tasks) accept(std::move(t));  // could not hand them back: run them
        start_waiting();
        return;
    }
    for (const std::uint64_t number : waiting) jobs_.erase(number);
    ledger_.release(message.returned.size());
    if (!message.returned.empty()) {
        spdlog::info("worker {}: handed {} task(s) it had not started back to the broker",
                     options_.name, message.returned.size());
    }
}

void worker_core::check_drained() {
    if (!draining_ || leaving_) return;
    if (busy_jobs() == 0 && results_.empty()) leave(0);
}

void worker_core::on_grace_expired() {
    if (leaving_) return;
    spdlog::warn(
        "worker {}: grace period over with {} task(s) unfinished; the broker will re-queue them",
        options_.name, busy_jobs());
    flush();
    if (!leaving_) leave(1);
}

void worker_core::leave(int exit_code) {
    leaving_ = true;
    exit_code_ = exit_code;
    grace_timer_.cancel();
    retry_timer_.cancel();
    if (link_) link_->close("worker shutting down");
    loop_.stop();
}

void worker_core::exit_now(int signo) {
    spdlog::warn("worker {}: second signal ({}): exiting now", options_.name, signal_name(signo));
    kill_process_children();
    spdlog::default_logger()->flush();
    std::_Exit(128 + signo);
}

void worker_core::kill_process_children() noexcept {
    if (!processes_) return;
    try {
        for (const pid_t pid : processes_->child_pids()) ::kill(pid, SIGKILL);
    } catch (...) {
        // Best effort: the children also exit when they see our end of their socket close.
    }
}

}  // namespace shoal::worker_detail
