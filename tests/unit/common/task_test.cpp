// Behaviour of shoal::task and event_loop::create_task pinned to asyncio's coroutines and
// Task: lazy until awaited or created, values and exceptions through co_await chains,
// cancellation as a request delivered at the next suspension, lost exceptions and pending
// tasks reported, coroutine frames freed when the loop closes.

#include "shoal/common/task.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lifetime_counter.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::cancelled_error;
using shoal::event_loop_error;
using shoal::task;
using shoal::testing::lifetime_counter;
using shoal::testing::lifetime_stats;

class TaskTest : public shoal::testing::loop_fixture {};

// A delay far beyond any test: the manual clock never reaches it unless advanced.
constexpr double long_sleep_seconds = 10.0;

task<int> answer(bool& started) {
    started = true;
    co_return 42;
}

task<int> add_one(task<int> inner) { co_return co_await std::move(inner) + 1; }

task<int> fail_with_out_of_range() {
    co_await shoal::sleep(0);
    throw std::out_of_range("inner failure");
}

task<int> rethrow_through(task<int> inner) {
    const int v = co_await std::move(inner);
    co_return v;
}

// ---------------------------------------------------------------- laziness and values

TEST_F(TaskTest, LazyTaskDoesNotStartUntilCreated) {
    bool started = false;
    auto t = answer(started);
    EXPECT_FALSE(started);
    auto handle = loop().create_task(std::move(t));
    EXPECT_FALSE(started) << "create_task schedules the first step; it does not run inline";
    run_once();
    EXPECT_TRUE(started);
    EXPECT_EQ(handle.result(), 42);
}

TEST_F(TaskTest, LazyTaskDoesNotStartUntilAwaited) {
    bool started = false;
    bool started_before_await = true;
    auto outer = [&]() -> task<int> {
        auto inner = answer(started);
        co_await shoal::sleep(0);
        started_before_await = started;
        co_return co_await std::move(inner);
    };
    EXPECT_EQ(loop().run_until_complete(outer()), 42);
    EXPECT_FALSE(started_before_await);
    EXPECT_TRUE(started);
}

TEST_F(TaskTest, DestroyingAnUnstartedTaskNeverRunsItsBody) {
    bool started = false;
    { auto t = answer(started); }
    EXPECT_FALSE(started);
}

TEST_F(TaskTest, AwaitChainOfLazyTasksReturnsValues) {
    bool started = false;
    EXPECT_EQ(loop().run_until_complete(add_one(add_one(answer(started)))), 44);
}

TEST_F(TaskTest, AwaitChainPropagatesExceptionsWithTheirTypes) {
    auto outer = []() -> task<std::string> {
        try {
            co_await rethrow_through(fail_with_out_of_range());
        } catch (const std::out_of_range& e) {
            co_return std::string("caught: ") + e.what();
        }
        co_return "not thrown";
    };
    EXPECT_EQ(loop().run_until_complete(outer()), "caught: inner failure");
}

TEST_F(TaskTest, RunUntilCompleteRethrowsTheTasksExceptionType) {
    EXPECT_THROW(loop().run_until_complete(rethrow_through(fail_with_out_of_range())),
                 std::out_of_range);
}

TEST_F(TaskTest, CreateTaskRunsEagerlyAndItsHandleHoldsTheResult) {
    std::vector<std::string> order;
    auto body = [&]() -> task<int> {
        order.push_back("task ran");
        co_return 7;
    };
    auto handle = loop().create_task(body());
    // Nobody awaits the handle: the loop alone drives the task.
    loop().call_soon([&] { order.push_back("callback"); });
    run_once();
    EXPECT_EQ(order, (std::vector<std::string>{"task ran", "callback"}));
    ASSERT_TRUE(handle.done());
    EXPECT_EQ(handle.result(), 7);
    EXPECT_EQ(loop().pending_task_count(), 0u);
}

TEST_F(TaskTest, RunUntilCompleteReturnsTheTasksValue) {
    auto body = []() -> task<std::string> {
        co_await shoal::sleep(0);
        co_return "done";
    };
    EXPECT_EQ(loop().run_until_complete(body()), "done");
}

TEST_F(TaskTest, AMoveOnlyResultPassesThroughCoAwaitAndThroughCreateTask) {
    auto make = []() -> task<std::unique_ptr<int>> {
        co_await shoal::sleep(0);
        co_return std::make_unique<int>(5);
    };
    auto outer = [&]() -> task<std::unique_ptr<int>> {
        std::unique_ptr<int> p = co_await make();
        *p += 1;
        auto handle = loop().create_task(make());
        std::unique_ptr<int> q = co_await handle;
        *p += *q;
        co_return p;
    };
    std::unique_ptr<int> result = loop().run_until_complete(outer());
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(*result, 11);
}

TEST_F(TaskTest, AwaitingADoneFutureDoesNotSuspend) {
    auto f = loop().create_future<int>();
    f.set_result(3);
    int passes_seen = 0;
    loop().call_soon([&] { ++passes_seen; });
    auto body = [&]() -> task<int> {
        const int before = passes_seen;
        const int v = co_await f;
        EXPECT_EQ(passes_seen, before);
        co_return v;
    };
    EXPECT_EQ(loop().run_until_complete(body()), 3);
}

// ---------------------------------------------------------------- sleep(0)

TEST_F(TaskTest, SleepZeroYieldsExactlyOnePass) {
    std::vector<std::string> log;
    auto worker = [&](std::string name) -> task<void> {
        for (int i = 0; i < 3; ++i) {
            log.push_back(name);
            co_await shoal::sleep(0);
        }
    };
    auto a = loop().create_task(worker("a"));
    auto b = loop().create_task(worker("b"));
    run_once();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
    run_once();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "a", "b"}));
    run_once();
    run_once();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "a", "b", "a", "b"}));
    EXPECT_TRUE(a.done());
    EXPECT_TRUE(b.done());
}

TEST_F(TaskTest, SleepReturnsAfterItsDelayOnTheLoopClock) {
    bool woke = false;
    auto body = [&]() -> task<void> {
        co_await shoal::sleep(2.0);
        woke = true;
    };
    auto handle = loop().create_task(body());
    run_once();
    advance(1.0);
    EXPECT_FALSE(woke);
    advance(1.0);
    EXPECT_TRUE(woke);
    EXPECT_TRUE(handle.done());
}

// ---------------------------------------------------------------- cancellation

TEST_F(TaskTest, CancelledSleepingTaskMayCatchAndReturnAValue) {
    std::optional<std::string> caught;
    auto body = [&]() -> task<int> {
        try {
            co_await shoal::sleep(long_sleep_seconds);
        } catch (const cancelled_error& e) {
            caught = e.what();
            co_return -1;
        }
        co_return 1;
    };
    auto handle = loop().create_task(body());
    run_once();
    ASSERT_FALSE(handle.done());
    EXPECT_TRUE(handle.cancel("stop sleeping"));
    EXPECT_EQ(loop().run_until_complete(handle), -1);
    EXPECT_FALSE(handle.cancelled());
    ASSERT_TRUE(caught.has_value());
    EXPECT_EQ(*caught, "stop sleeping");
}

TEST_F(TaskTest, CancelledSleepingTaskThatDoesNotCatchEndsCancelled) {
    bool after_sleep = false;
    auto body = [&]() -> task<int> {
        co_await shoal::sleep(long_sleep_seconds);
        after_sleep = true;
        co_return 1;
    };
    auto handle = loop().create_task(body());
    run_once();
    EXPECT_TRUE(handle.cancel());
    EXPECT_THROW(loop().run_until_complete(handle), cancelled_error);
    EXPECT_TRUE(handle.cancelled());
    EXPECT_FALSE(after_sleep);
}

TEST_F(TaskTest, CancelledSleepReleasesItsTimerAtOnce) {
    // The task's pending sleep must not keep the clock's far future busy: after the cancel
    // the only timer left is the one we add, and it fires alone.
    auto body = []() -> task<void> { co_await shoal::sleep(long_sleep_seconds); };
    auto handle = loop().create_task(body());
    run_once();
    handle.cancel();
    EXPECT_THROW(loop().run_until_complete(handle), cancelled_error);
    EXPECT_EQ(loop().pending_task_count(), 0u);
}

TEST_F(TaskTest, CancellingATaskAwaitingAFutureCancelsThatFuture) {
    auto f = loop().create_future<int>();
    bool saw_cancelled = false;
    auto body = [&]() -> task<int> {
        try {
            co_return co_await f;
        } catch (const cancelled_error&) {
            saw_cancelled = true;
            throw;
        }
    };
    auto handle = loop().create_task(body());
    run_once();
    EXPECT_TRUE(handle.cancel("go away"));
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW(loop().run_until_complete(handle), cancelled_error);
    EXPECT_TRUE(saw_cancelled);
    EXPECT_TRUE(handle.cancelled());
}

TEST_F(TaskTest, CancellingATaskBeforeItStartsNeverRunsItsBody) {
    bool ran = false;
    lifetime_stats stats;
    auto body = [&](lifetime_counter) -> task<int> {
        ran = true;
        co_return 1;
    };
    auto handle = loop().create_task(body(lifetime_counter(stats)));
    EXPECT_TRUE(handle.cancel());
    run_once();
    EXPECT_TRUE(handle.cancelled());
    EXPECT_FALSE(ran);
    EXPECT_EQ(stats.alive(), 0) << "the never-started coroutine frame was not destroyed";
    EXPECT_THROW(handle.result(), cancelled_error);
}

TEST_F(TaskTest, CancelMessageReachesAnUnstartedTasksResult) {
    auto body = []() -> task<int> { co_return 1; };
    auto handle = loop().create_task(body());
    handle.cancel("before start");
    run_once();
    ASSERT_TRUE(handle.cancelled());
    try {
        handle.result();
        ADD_FAILURE() << "result() did not throw";
    } catch (const cancelled_error& e) {
        EXPECT_STREQ(e.what(), "before start");
    }
}

TEST_F(TaskTest, CancellingADoneTaskReturnsFalse) {
    auto body = []() -> task<int> { co_return 1; };
    auto handle = loop().create_task(body());
    run_once();
    ASSERT_TRUE(handle.done());
    EXPECT_FALSE(handle.cancel());
    EXPECT_FALSE(handle.cancelled());
    EXPECT_EQ(handle.result(), 1);
}

TEST_F(TaskTest, TaskAwaitingACancelledTaskSeesCancelledError) {
    auto sleeper = []() -> task<int> {
        co_await shoal::sleep(long_sleep_seconds);
        co_return 1;
    };
    auto inner = loop().create_task(sleeper());
    auto waiter = [&]() -> task<std::string> {
        try {
            co_await inner;
        } catch (const cancelled_error&) {
            co_return "saw cancelled_error";
        }
        co_return "no error";
    };
    auto outer = loop().create_task(waiter());
    run_once();
    EXPECT_TRUE(inner.cancel());
    EXPECT_EQ(loop().run_until_complete(outer), "saw cancelled_error");
    EXPECT_TRUE(inner.cancelled());
}

TEST_F(TaskTest, CancellingTheOuterTaskCancelsTheCreatedTaskItAwaits) {
    auto sleeper = []() -> task<int> {
        co_await shoal::sleep(long_sleep_seconds);
        co_return 1;
    };
    auto inner = loop().create_task(sleeper());
    auto waiter = [&]() -> task<int> { co_return co_await inner; };
    auto outer = loop().create_task(waiter());
    run_once();
    EXPECT_TRUE(outer.cancel());
    EXPECT_THROW(loop().run_until_complete(outer), cancelled_error);
    EXPECT_TRUE(inner.cancelled());
    EXPECT_TRUE(outer.cancelled());
}

// ---------------------------------------------------------------- lost exceptions, pending tasks

TEST_F(TaskTest, TaskExceptionNobodyRetrievedIsReported) {
    auto body = []() -> task<void> {
        co_await shoal::sleep(0);
        throw std::length_error("nobody looked");
    };
    {
        auto handle = loop().create_task(body());
        run_once();
        run_once();
        ASSERT_TRUE(handle.done());
        EXPECT_TRUE(take_reports().empty()) << "reported while a handle is still held";
    }
    const auto reports = take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Task exception was never retrieved");
    EXPECT_TRUE(reports[0].holds<std::length_error>());
}

TEST_F(TaskTest, TaskExceptionRetrievedByAnAwaiterIsNotReported) {
    auto failing = []() -> task<void> {
        co_await shoal::sleep(0);
        throw std::length_error("seen");
    };
    auto outer = [&]() -> task<bool> {
        try {
            co_await loop().create_task(failing());
        } catch (const std::length_error&) {
            co_return true;
        }
        co_return false;
    };
    EXPECT_TRUE(loop().run_until_complete(outer()));
    run_once();
    EXPECT_TRUE(take_reports().empty());
}

TEST_F(TaskTest, ClosingTheLoopDestroysAPendingTasksFrameAndReportsIt) {
    lifetime_stats stats;
    auto body = [](lifetime_counter) -> task<void> { co_await shoal::sleep(long_sleep_seconds); };
    auto handle = loop().create_task(body(lifetime_counter(stats)));
    run_once();
    ASSERT_EQ(stats.alive(), 1);
    loop().close();
    EXPECT_EQ(stats.alive(), 0);
    EXPECT_EQ(take_report_messages(),
              (std::vector<std::string>{"Task was destroyed but it is pending!"}));
}

TEST_F(TaskTest, ClosingTheLoopDestroysAPendingTaskNobodyHoldsAndReportsIt) {
    lifetime_stats stats;
    auto body = [](lifetime_counter) -> task<void> { co_await shoal::sleep(long_sleep_seconds); };
    (void)loop().create_task(body(lifetime_counter(stats)));
    run_once();
    ASSERT_EQ(stats.alive(), 1);
    loop().close();
    EXPECT_EQ(stats.alive(), 0);
    EXPECT_EQ(take_report_messages(),
              (std::vector<std::string>{"Task was destroyed but it is pending!"}));
}

TEST_F(TaskTest, ClosingTheLoopDestroysATaskAwaitingAFutureAndReportsIt) {
    lifetime_stats stats;
    auto f = loop().create_future<int>();
    auto body = [&f](lifetime_counter) -> task<int> { co_return co_await f; };
    auto handle = loop().create_task(body(lifetime_counter(stats)));
    run_once();
    ASSERT_EQ(stats.alive(), 1);
    loop().close();
    EXPECT_EQ(stats.alive(), 0);
    EXPECT_EQ(take_report_messages(),
              (std::vector<std::string>{"Task was destroyed but it is pending!"}));
}

TEST_F(TaskTest, DestroyingALoopWithAPendingTaskDestroysItsFrameAndReportsIt) {
    lifetime_stats stats;
    std::vector<shoal::testing::exception_report> reports;
    {
        shoal::testing::manual_clock clock;
        shoal::event_loop loop(clock);
        shoal::testing::record_exceptions(loop, reports);
        auto body = [](lifetime_counter) -> task<void> {
            co_await shoal::sleep(long_sleep_seconds);
        };
        (void)loop.create_task(body(lifetime_counter(stats)));
        loop.stop();
        loop.run_forever();
        ASSERT_EQ(stats.alive(), 1);
    }
    EXPECT_EQ(stats.alive(), 0);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Task was destroyed but it is pending!");
}

// ---------------------------------------------------------------- misuse

TEST_F(TaskTest, RunUntilCompleteWhenTheLoopIsStoppedEarlyThrows) {
    auto body = [&]() -> task<int> {
        loop().stop();
        co_await shoal::sleep(long_sleep_seconds);
        co_return 1;
    };
    EXPECT_THROW(loop().run_until_complete(body()), event_loop_error);
    loop().close();  // the abandoned task is pending
    EXPECT_EQ(take_report_messages(),
              (std::vector<std::string>{"Task was destroyed but it is pending!"}));
}

TEST_F(TaskTest, AwaitingOutsideAnyTaskThrows) {
    auto body = []() -> task<int> {
        co_await shoal::sleep(0);
        co_return 1;
    };
    // Resumed by hand from a plain callback: no task drives it, so the await cannot suspend.
    auto t = body();
    loop().call_soon([&] { t.handle().resume(); });
    run_once();
    ASSERT_TRUE(t.done());
    EXPECT_THROW(t.handle().promise().take_result(), event_loop_error);
}

TEST_F(TaskTest, AwaitingAFutureOutsideAnyTaskThrows) {
    auto f = loop().create_future<int>();
    auto body = [&]() -> task<int> { co_return co_await f; };
    auto t = body();
    t.handle().resume();
    ASSERT_TRUE(t.done());
    EXPECT_THROW(t.handle().promise().take_result(), event_loop_error);
}

TEST_F(TaskTest, CreateTaskOfAnEmptyTaskThrows) {
    EXPECT_THROW((void)loop().create_task(task<int>()), shoal::invalid_state_error);
}

}  // namespace
