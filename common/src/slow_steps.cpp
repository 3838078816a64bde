// Slow-step reports (asyncio's debug-mode slow_callback_duration) and task names. Timing is
// off unless an observer is set, so the loop's hot path pays one branch per step for it.

#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "shoal/common/detail/task_driver.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal {

namespace {

// The coarse clock's resolution (a scheduler tick, 1-4 ms), or infinity where it is missing.
double coarse_clock_resolution() noexcept {
    timespec res{};
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0) return HUGE_VAL;
    return static_cast<double>(res.tv_sec) + static_cast<double>(res.tv_nsec) * 1e-9;
}

}  // namespace

void event_loop::set_slow_step_observer(double threshold_seconds, slow_step_observer observer) {
    slow_step_threshold_ = threshold_seconds > 0 ? threshold_seconds : 0.0;
    // Every step is timed, so a clock read is on the hot path (a worker's --slow-loop 0.5 cost
    // it several percent of its throughput with the precise clock). A tick of a few ms is
    // nothing against a threshold twenty times as long.
    static const double coarse_resolution = coarse_clock_resolution();
    coarse_step_clock_ = slow_step_threshold_ >= 20 * coarse_resolution;
    slow_step_observer_ = std::move(observer);
    task_step_reported_ = false;
    start_step_clock();
}

void event_loop::log_slow_step(event_loop& /*loop*/, const slow_step& step) {
    if (step.task_name.empty()) {
        spdlog::warn("shoal: executing a {} took {:.3f} s (the event loop was blocked meanwhile)",
                     step.kind, step.seconds);
    } else {
        spdlog::warn(
            "shoal: executing task '{}' took {:.3f} s (the event loop was blocked meanwhile)",
            step.task_name, step.seconds);
    }
}

std::chrono::steady_clock::time_point event_loop::step_clock_now() const noexcept {
    if (!coarse_step_clock_) return std::chrono::steady_clock::now();
    // The same clock as steady_clock (CLOCK_MONOTONIC), read at a tick's resolution; one
    // observer's steps are all timed by the one or all by the other.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

void event_loop::start_step_clock() noexcept { step_started_ = step_clock_now(); }

// Steps are timed back to back: the end of one is the start of the next (one clock read per
// step); a pass restarts the clock after it slept in poll.
void event_loop::run_callback_timed(callback& cb, const char* what) noexcept {
    task_step_reported_ = false;
    run_callback_untimed(cb, what);
    const auto now = step_clock_now();
    const double seconds = std::chrono::duration<double>(now - step_started_).count();
    step_started_ = now;
    if (std::exchange(task_step_reported_, false) || !step_is_slow(seconds)) {
        return;
    }
    const char* kind = std::strstr(what, "I/O") != nullptr ? "I/O callback" : "callback";
    report_slow_step(slow_step{seconds, kind, {}});
}

void event_loop::report_slow_step(const slow_step& step) noexcept {
    if (!slow_step_observer_) return;
    try {
        slow_step_observer_(*this, step);
    } catch (...) {
        call_exception_handler(
            exception_context{"Exception in slow step observer", std::current_exception()});
    }
    start_step_clock();  // the observer's own time is nobody's step
}

void event_loop::name_task(detail::task_driver& t, std::string name) {
    task_names_[&t] = std::move(name);
    t.named_ = true;
}

std::string_view event_loop::task_name_of(detail::task_driver* t) const noexcept {
    if (!t->named_) return {};
    const auto it = task_names_.find(t);
    return it == task_names_.end() ? std::string_view() : std::string_view(it->second);
}

void event_loop::forget_task_names() noexcept {
    for (auto& [t, name] : task_names_) t->named_ = false;
    task_names_.clear();
}

}  // namespace shoal
