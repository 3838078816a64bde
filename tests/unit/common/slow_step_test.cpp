// event_loop's slow-step observer (asyncio's debug-mode "Executing <Task> took 1.2 seconds"):
// a step that runs past the threshold is reported with its kind and, for a named task, the
// task's name. A "slow" step spins until the clock has moved past the threshold, so a report
// is certain; nothing here asserts that a step was fast.

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

using namespace shoal;

constexpr double threshold_s = 0.001;
constexpr auto slow = std::chrono::milliseconds(5);  // well past the threshold

void spin_for(std::chrono::steady_clock::duration d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
    }
}

struct report {
    double seconds;
    std::string kind;
    std::string task_name;
    const detail::task_driver* task;
};

class SlowStep : public ::testing::Test {
  protected:
    void watch(double threshold) {
        loop_.set_slow_step_observer(threshold, [this](event_loop& loop, const slow_step& s) {
            EXPECT_EQ(&loop, &loop_);
            reports_.push_back({s.seconds, s.kind, std::string(s.task_name), s.task});
        });
    }
    std::vector<report> reports_of(const std::string& kind) const {
        std::vector<report> out;
        for (const auto& r : reports_) {
            if (r.kind == kind) out.push_back(r);
        }
        return out;
    }
    // Runs exactly the callbacks queued now: one pass.
    void run_one_pass() {
        loop_.stop();
        loop_.run_forever();
    }

    event_loop loop_;
    std::vector<report> reports_;
};

TEST_F(SlowStep, ACallbackRunningPastTheThresholdIsReportedWithItsDuration) {
    watch(threshold_s);
    loop_.call_soon([] { spin_for(slow); });
    run_one_pass();
    const auto callbacks = reports_of("callback");
    ASSERT_GE(callbacks.size(), 1u);
    EXPECT_GE(callbacks.front().seconds, 0.005);
    EXPECT_EQ(callbacks.front().task_name, "");
}

TEST_F(SlowStep, ThresholdZeroReportsEveryStep) {
    watch(0.0);
    for (int i = 0; i < 3; ++i) loop_.call_soon([] {});
    run_one_pass();
    EXPECT_EQ(reports_of("callback").size(), 3u);
}

task<void> crunch() {
    spin_for(slow);  // blocks the loop, as a loop task computing for seconds would
    co_await shoal::sleep(0.0);
}

TEST_F(SlowStep, ANamedTaskThatBlocksIsReportedByNameAndOnlyOnce) {
    watch(threshold_s);
    loop_.run_until_complete(loop_.create_task(crunch(), "crunch#7"));
    const auto tasks = reports_of("task");
    ASSERT_GE(tasks.size(), 1u);
    EXPECT_EQ(tasks.front().task_name, "crunch#7");
    EXPECT_GE(tasks.front().seconds, 0.005);
    // The callback that resumed the task is not reported a second time for the same spin.
    for (const auto& r : reports_of("callback")) EXPECT_LT(r.seconds, 0.005) << "reported twice";
}

TEST_F(SlowStep, AnUnnamedTaskIsReportedAsATaskWithoutAName) {
    watch(threshold_s);
    loop_.run_until_complete(crunch());
    const auto tasks = reports_of("task");
    ASSERT_GE(tasks.size(), 1u);
    EXPECT_EQ(tasks.front().task_name, "");
}

// An observer with its own table of tasks (the worker's jobs) names a slow one from this
// identity, so no task has to be named up front.
TEST_F(SlowStep, ATaskStepCarriesTheTasksIdentityAndACallbackNone) {
    watch(threshold_s);
    auto crunching = loop_.create_task(crunch());
    const detail::task_driver* driver = crunching.state().as_task_driver();
    loop_.call_soon([] { spin_for(slow); });
    loop_.run_until_complete(crunching);
    const auto tasks = reports_of("task");
    ASSERT_GE(tasks.size(), 1u);
    EXPECT_EQ(tasks.front().task, driver);
    const auto callbacks = reports_of("callback");
    ASSERT_GE(callbacks.size(), 1u);
    EXPECT_EQ(callbacks.front().task, nullptr);
}

// A threshold far above the coarse clock's tick is timed by that clock: a step three times as
// long is still reported, its duration right to within a tick or two.
TEST_F(SlowStep, ALongThresholdTimedByTheCoarseClockStillReportsASlowTaskWithItsDuration) {
    watch(0.1);
    loop_.run_until_complete(loop_.create_task(
        [](std::chrono::milliseconds d) -> task<void> {
            spin_for(d);
            co_await shoal::sleep(0.0);
        }(std::chrono::milliseconds(300)),
        "long"));
    // The spin is the first step; a busy machine may make a later, tiny one slow too.
    const auto tasks = reports_of("task");
    ASSERT_GE(tasks.size(), 1u);
    EXPECT_EQ(tasks.front().task_name, "long");
    EXPECT_GE(tasks.front().seconds, 0.29);
}

TEST_F(SlowStep, AnEmptyObserverTurnsReportsOff) {
    watch(0.0);
    loop_.set_slow_step_observer(0.0, nullptr);
    loop_.call_soon([] { spin_for(slow); });
    run_one_pass();
    EXPECT_TRUE(reports_.empty());
}

TEST_F(SlowStep, AnObserverThatThrowsIsReportedToTheExceptionHandler) {
    std::vector<std::string> handled;
    loop_.set_exception_handler(
        [&](event_loop&, const exception_context& c) { handled.push_back(c.message); });
    loop_.set_slow_step_observer(
        0.0, [](event_loop&, const slow_step&) { throw std::runtime_error("observer"); });
    loop_.call_soon([] {});
    run_one_pass();
    ASSERT_EQ(handled.size(), 1u);
    EXPECT_EQ(handled.front(), "Exception in slow step observer");
}

TEST_F(SlowStep, TheLoggingObserverLogsAndTheLoopGoesOn) {
    loop_.set_slow_step_observer(threshold_s, event_loop::log_slow_step);
    int ran = 0;
    loop_.call_soon([&] {
        spin_for(slow);
        ++ran;
    });
    loop_.run_until_complete(loop_.create_task(crunch(), "logged"));
    EXPECT_EQ(ran, 1);
}

}  // namespace
