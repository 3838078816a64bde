// process_pool_executor: soft time limits (the child sees this_task::stop_requested()),
// terminate(future) (the running call's child is killed and replaced), and the runtime's own
// exception types coming back from a child as themselves (soft_time_limit_exceeded,
// retry_task with its countdown).
// Not a _concurrent test: forking under TSan is unsupported.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "process/proc_stats.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "shoal/common/this_task.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Sleeps in 5 ms steps up to `ms`; returns how many ms passed before stop_requested() turned
// true, or -1 if it never did.
inline constexpr shoal::task_def<long(long)> poll_stop{"poll_stop"};
// The same, but throws soft_time_limit_exceeded when asked to stop.
inline constexpr shoal::task_def<long(long)> stop_by_throwing{"stop_by_throwing"};
// Whether a stop was requested when the call began (it must not be: reset per call).
inline constexpr shoal::task_def<bool()> stop_at_start{"stop_at_start"};
// Whether stop_token() (taken at the start) reports the request once polled.
inline constexpr shoal::task_def<bool(long)> token_follows{"token_follows"};
// Throws retry_task with a countdown of `ms` (none if negative) and the reason.
inline constexpr shoal::task_def<int(long, std::string)> ask_retry{"ask_retry"};
inline constexpr shoal::task_def<int(int)> sleep_ms{"sleep_ms"};
inline constexpr shoal::task_def<int()> get_pid{"get_pid"};

long poll_for(long ms, bool throw_on_stop) {
    const auto start = steady::now();
    while (steady::now() - start < std::chrono::milliseconds(ms)) {
        if (shoal::this_task::stop_requested()) {
            if (throw_on_stop) throw shoal::soft_time_limit_exceeded("stopped politely");
            return static_cast<long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start)
                    .count());
        }
        std::this_thread::sleep_for(5ms);
    }
    return -1;
}

shoal::function_registry& test_registry() {
    static shoal::function_registry* registry = [] {
        auto* r = new shoal::function_registry();
        r->define(poll_stop, [](long ms) { return poll_for(ms, false); });
        r->define(stop_by_throwing, [](long ms) { return poll_for(ms, true); });
        r->define(stop_at_start, [] { return shoal::this_task::stop_requested(); });
        r->define(token_follows, [](long ms) {
            const std::stop_token token = shoal::this_task::stop_token();
            if (!token.stop_possible() || token.stop_requested()) return false;
            if (poll_for(ms, false) < 0) return false;
            return token.stop_requested();
        });
        r->define(ask_retry, [](long ms, std::string reason) -> int {
            if (ms < 0) throw shoal::retry_task(std::move(reason));
            throw shoal::retry_task(std::chrono::milliseconds(ms), std::move(reason));
        });
        r->define(sleep_ms, [](int ms) {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return ms;
        });
        r->define(get_pid, [] { return static_cast<int>(::getpid()); });
        return r;
    }();
    return *registry;
}

shoal::process_pool_options options() {
    shoal::process_pool_options o;
    o.registry = &test_registry();
    return o;
}

// True while `pid` runs or is a zombie nobody has reaped.
bool still_there(pid_t pid) { return !shoal::testing::process_gone(pid); }

TEST(ProcessPoolLimits, OutsideAPoolNoStopIsRequested) {
    EXPECT_FALSE(shoal::this_task::stop_requested());
    EXPECT_FALSE(shoal::this_task::stop_token().stop_possible());
}

TEST(ProcessPoolLimits, TheChildSeesItsSoftLimitAndMayReturn) {
    shoal::process_pool_executor pool(1, options());
    shoal::call_options limits;
    limits.soft_time_limit = 0.2;
    const long waited = pool.submit(limits, poll_stop, 10'000).result(20.0);
    EXPECT_GE(waited, 150);  // not before the limit (a little slack for rounding)
    EXPECT_LT(waited, 5'000);
    // The flag is per call: the next call on the same child starts without it.
    EXPECT_FALSE(pool.submit(stop_at_start).result(20.0));
    EXPECT_EQ(pool.submit(poll_stop, 100).result(20.0), -1);
}

TEST(ProcessPoolLimits, AChildDoesNotInheritItsCreatorsStopScope) {
    std::stop_source source;
    source.request_stop();
    shoal::this_task::stop_scope scope(source.get_token());  // forked from this thread
    shoal::process_pool_executor pool(1, options());
    EXPECT_FALSE(pool.submit(stop_at_start).result(20.0));
}

TEST(ProcessPoolLimits, ASoftLimitTheChildThrowsComesBackAsItsType) {
    shoal::process_pool_executor pool(1, options());
    shoal::call_options limits;
    limits.soft_time_limit = 0.1;
    auto f = pool.submit(limits, stop_by_throwing, 10'000);
    try {
        (void)f.result(20.0);
        FAIL() << "expected soft_time_limit_exceeded";
    } catch (const shoal::soft_time_limit_exceeded& e) {
        EXPECT_STREQ(e.what(), "stopped politely");
    }
    // It also is a time_limit_exceeded, so one catch serves both limits.
    auto g = pool.submit(limits, stop_by_throwing, 10'000);
    EXPECT_THROW((void)g.result(20.0), shoal::time_limit_exceeded);
}

TEST(ProcessPoolLimits, AStopTokenTakenEarlyFollowsOncePolled) {
    shoal::process_pool_executor pool(1, options());
    shoal::call_options limits;
    limits.soft_time_limit = 0.1;
    EXPECT_TRUE(pool.submit(limits, token_follows, 10'000).result(20.0));
}

TEST(ProcessPoolLimits, SoftThenHardLimitKillsTheChild) {
    shoal::process_pool_executor pool(1, options());
    const pid_t before = pool.submit(get_pid).result(20.0);
    shoal::call_options limits;
    limits.soft_time_limit = 0.1;
    limits.time_limit = 0.4;
    auto f = pool.submit(limits, sleep_ms, 30'000);  // ignores the soft limit
    try {
        (void)f.result(20.0);
        FAIL() << "expected time_limit_exceeded";
    } catch (const shoal::soft_time_limit_exceeded&) {
        FAIL() << "the hard limit, not the soft one";
    } catch (const shoal::time_limit_exceeded& e) {
        EXPECT_NE(std::string(e.what()).find("0.4 s"), std::string::npos) << e.what();
    }
    EXPECT_NE(pool.submit(get_pid).result(20.0), before);
    EXPECT_FALSE(still_there(before));
}

TEST(ProcessPoolLimits, RetryTaskComesBackWithItsCountdownAndReason) {
    shoal::process_pool_executor pool(1, options());
    try {
        (void)pool.submit(ask_retry, 1500, "rate limited").result(20.0);
        FAIL() << "expected retry_task";
    } catch (const shoal::retry_task& e) {
        EXPECT_STREQ(e.what(), "rate limited");
        ASSERT_TRUE(e.countdown().has_value());
        EXPECT_EQ(e.countdown()->count(), 1500);
    }
    try {
        (void)pool.submit(ask_retry, -1, "no countdown").result(20.0);
        FAIL() << "expected retry_task";
    } catch (const shoal::retry_task& e) {
        EXPECT_STREQ(e.what(), "no countdown");
        EXPECT_FALSE(e.countdown().has_value());
    }
}

TEST(ProcessPoolLimits, TerminateKillsTheRunningCallAndReplacesTheChild) {
    shoal::process_pool_executor pool(1, options());
    const pid_t before = pool.submit(get_pid).result(20.0);
    auto f = pool.submit(sleep_ms, 30'000);  // no limits: may go straight to the child
    const auto until = steady::now() + 10s;
    while (!f.running() && steady::now() < until) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(f.running());
    std::this_thread::sleep_for(50ms);  // let the child take it
    const auto sent = steady::now();
    EXPECT_TRUE(pool.terminate(f));
    try {
        (void)f.result(20.0);
        FAIL() << "expected terminated_error";
    } catch (const shoal::terminated_error& e) {
        EXPECT_NE(std::string(e.what()).find("sleep_ms"), std::string::npos) << e.what();
    }
    EXPECT_LT(steady::now() - sent, 10s);  // not the 30 s call
    const auto after = pool.child_pids();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_NE(after[0], before);
    EXPECT_FALSE(still_there(before));
    EXPECT_EQ(pool.submit(sleep_ms, 10).result(20.0), 10);  // the replacement works
}

TEST(ProcessPoolLimits, TerminateCancelsAQueuedCallAndLeavesOthersAlone) {
    shoal::process_pool_executor pool(1, options());
    auto running = pool.submit(sleep_ms, 300);
    auto queued = pool.submit(sleep_ms, 300);
    EXPECT_TRUE(pool.terminate(queued));
    EXPECT_TRUE(queued.cancelled());
    EXPECT_EQ(running.result(20.0), 300);  // the call it did not name goes on
    // A done call cannot be terminated.
    EXPECT_FALSE(pool.terminate(running));
    EXPECT_EQ(running.result(), 300);
}

TEST(ProcessPoolLimits, TerminatingOneCallSparesTheOtherChild) {
    shoal::process_pool_executor pool(2, options());
    shoal::call_options limits;
    limits.time_limit = 60.0;  // through the manager's queue this time
    auto victim = pool.submit(limits, sleep_ms, 30'000);
    auto bystander = pool.submit(limits, sleep_ms, 600);
    const auto until = steady::now() + 10s;
    while ((!victim.running() || !bystander.running()) && steady::now() < until) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(victim.running());
    EXPECT_TRUE(pool.terminate(victim));
    EXPECT_THROW((void)victim.result(20.0), shoal::terminated_error);
    EXPECT_EQ(bystander.result(20.0), 600);
    EXPECT_EQ(pool.child_pids().size(), 2u);
}

}  // namespace
