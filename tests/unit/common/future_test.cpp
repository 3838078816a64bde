// Behaviour of shoal::future pinned to asyncio.Future: three states, settling twice is an
// error, done-callbacks scheduled on the loop (never run inside set_result), lost
// exceptions reported when the last handle goes away.

#include "shoal/common/future.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loop_fixture.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

using shoal::cancelled_error;
using shoal::invalid_state_error;

class FutureTest : public shoal::testing::loop_fixture {};

TEST_F(FutureTest, NewFutureIsPending) {
    auto f = loop().create_future<int>();
    EXPECT_FALSE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(&f.get_loop(), &loop());
}

TEST_F(FutureTest, ResultOfPendingFutureThrowsInvalidState) {
    auto f = loop().create_future<int>();
    EXPECT_THROW(f.result(), invalid_state_error);
    EXPECT_THROW(f.exception(), invalid_state_error);
}

TEST_F(FutureTest, SetResultMakesTheValueAvailable) {
    auto f = loop().create_future<std::string>();
    f.set_result("value");
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), "value");
    EXPECT_EQ(f.exception(), nullptr);
}

TEST_F(FutureTest, SetResultTwiceThrowsInvalidState) {
    auto f = loop().create_future<int>();
    f.set_result(1);
    EXPECT_THROW(f.set_result(2), invalid_state_error);
    EXPECT_THROW(f.set_exception(std::runtime_error("late")), invalid_state_error);
    EXPECT_EQ(f.result(), 1);
}

TEST_F(FutureTest, SetResultOnVoidFutureTwiceThrowsInvalidState) {
    auto f = loop().create_future<void>();
    f.set_result();
    EXPECT_NO_THROW(f.result());
    EXPECT_THROW(f.set_result(), invalid_state_error);
}

TEST_F(FutureTest, SetExceptionThenResultRethrowsTheSameType) {
    auto f = loop().create_future<int>();
    f.set_exception(std::out_of_range("out of range"));
    EXPECT_TRUE(f.done());
    EXPECT_THROW(f.result(), std::out_of_range);
    try {
        f.result();
        ADD_FAILURE() << "result() did not throw";
    } catch (const std::out_of_range& e) {
        EXPECT_STREQ(e.what(), "out of range");
    }
}

TEST_F(FutureTest, CopiesShareOneState) {
    auto f = loop().create_future<int>();
    auto copy = f;
    f.set_result(7);
    EXPECT_TRUE(copy.done());
    EXPECT_EQ(copy.result(), 7);
}

TEST_F(FutureTest, CancelPendingFutureReturnsTrueAndResultThrowsCancelledWithTheMessage) {
    auto f = loop().create_future<int>();
    EXPECT_TRUE(f.cancel("shutting down"));
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    try {
        f.result();
        ADD_FAILURE() << "result() did not throw";
    } catch (const cancelled_error& e) {
        EXPECT_STREQ(e.what(), "shutting down");
    }
    EXPECT_THROW(f.exception(), cancelled_error);
}

TEST_F(FutureTest, CancelOnDoneFutureReturnsFalse) {
    auto f = loop().create_future<int>();
    f.set_result(1);
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    auto g = loop().create_future<int>();
    ASSERT_TRUE(g.cancel());
    EXPECT_FALSE(g.cancel());
}

TEST_F(FutureTest, SettlingACancelledFutureThrowsInvalidState) {
    auto f = loop().create_future<int>();
    f.cancel();
    EXPECT_THROW(f.set_result(1), invalid_state_error);
}

TEST_F(FutureTest, DoneCallbacksRunViaTheLoopInRegistrationOrderExactlyOnce) {
    auto f = loop().create_future<int>();
    std::vector<int> order;
    for (int i = 0; i < 3; ++i) {
        f.add_done_callback([&order, i](shoal::future<int> done) {
            EXPECT_TRUE(done.done());
            EXPECT_EQ(done.result(), 42);
            order.push_back(i);
        });
    }
    f.set_result(42);
    EXPECT_TRUE(order.empty()) << "done callbacks ran inside set_result";
    run_once();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
    run_once();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST_F(FutureTest, DoneCallbacksRunWhenCancelled) {
    auto f = loop().create_future<int>();
    int runs = 0;
    f.add_done_callback([&](shoal::future<int> done) {
        EXPECT_TRUE(done.cancelled());
        ++runs;
    });
    f.cancel();
    EXPECT_EQ(runs, 0);
    run_once();
    EXPECT_EQ(runs, 1);
}

TEST_F(FutureTest, CallbackAddedAfterDoneStillRunsOnceViaTheLoop) {
    auto f = loop().create_future<int>();
    f.set_result(1);
    int runs = 0;
    f.add_done_callback([&](shoal::future<int>) { ++runs; });
    EXPECT_EQ(runs, 0);
    run_once();
    EXPECT_EQ(runs, 1);
    run_once();
    EXPECT_EQ(runs, 1);
}

TEST_F(FutureTest, RemoveDoneCallbackReturnsCountAndPreventsTheRun) {
    auto f = loop().create_future<int>();
    std::vector<std::string> ran;
    const std::uint64_t first =
        f.add_done_callback([&](shoal::future<int>) { ran.push_back("first"); });
    f.add_done_callback([&](shoal::future<int>) { ran.push_back("second"); });
    const std::uint64_t third =
        f.add_done_callback([&](shoal::future<int>) { ran.push_back("third"); });
    EXPECT_EQ(f.remove_done_callback(first), 1u);
    EXPECT_EQ(f.remove_done_callback(third), 1u);
    EXPECT_EQ(f.remove_done_callback(third), 0u);
    f.set_result(1);
    run_once();
    EXPECT_EQ(ran, (std::vector<std::string>{"second"}));
}

TEST_F(FutureTest, UnretrievedExceptionIsReportedWhenTheFutureIsDestroyed) {
    {
        auto f = loop().create_future<int>();
        f.set_exception(std::domain_error("lost"));
    }
    const auto reports = take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Future exception was never retrieved");
    EXPECT_TRUE(reports[0].holds<std::domain_error>());
    EXPECT_EQ(reports[0].what, "lost");
}

TEST_F(FutureTest, UnretrievedExceptionIsReportedOnlyWhenTheLastCopyGoes) {
    auto f = loop().create_future<int>();
    {
        auto copy = f;
        copy.set_exception(std::domain_error("lost"));
    }
    EXPECT_TRUE(take_reports().empty());
    f = shoal::future<int>();
    EXPECT_EQ(take_report_messages(),
              (std::vector<std::string>{"Future exception was never retrieved"}));
}

TEST_F(FutureTest, ExceptionRetrievedWithExceptionIsNotReported) {
    {
        auto f = loop().create_future<int>();
        f.set_exception(std::domain_error("seen"));
        EXPECT_NE(f.exception(), nullptr);
    }
    EXPECT_TRUE(take_reports().empty());
}

TEST_F(FutureTest, ExceptionRetrievedWithResultIsNotReported) {
    {
        auto f = loop().create_future<int>();
        f.set_exception(std::domain_error("seen"));
        EXPECT_THROW(f.result(), std::domain_error);
    }
    EXPECT_TRUE(take_reports().empty());
}

TEST_F(FutureTest, ThrowingDoneCallbackGoesToTheHandlerAndOtherCallbacksStillRun) {
    auto f = loop().create_future<int>();
    std::vector<std::string> ran;
    f.add_done_callback([&](shoal::future<int>) { ran.push_back("before"); });
    f.add_done_callback([](shoal::future<int>) { throw std::runtime_error("callback failed"); });
    f.add_done_callback([&](shoal::future<int>) { ran.push_back("after"); });
    f.set_result(1);
    run_once();
    EXPECT_EQ(ran, (std::vector<std::string>{"before", "after"}));
    const auto reports = take_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_TRUE(reports[0].holds<std::runtime_error>());
    EXPECT_EQ(reports[0].what, "callback failed");
}

TEST_F(FutureTest, TaskHandleRefusesSetResultAndSetException) {
    auto body = []() -> shoal::task<int> {
        co_await shoal::sleep(0);
        co_return 1;
    };
    auto handle = loop().create_task(body());
    EXPECT_THROW(handle.set_result(2), invalid_state_error);
    EXPECT_THROW(handle.set_exception(std::runtime_error("no")), invalid_state_error);
    EXPECT_FALSE(handle.done());
    EXPECT_EQ(loop().run_until_complete(handle), 1);
}

TEST_F(FutureTest, DefaultConstructedFutureThrowsInvalidState) {
    shoal::future<int> f;
    EXPECT_FALSE(f.valid());
    EXPECT_THROW(f.done(), invalid_state_error);
}

TEST_F(FutureTest, RunUntilCompleteReturnsTheResultSetByACallback) {
    auto f = loop().create_future<int>();
    loop().call_soon([f]() mutable { f.set_result(5); });
    EXPECT_EQ(loop().run_until_complete(f), 5);
}

TEST_F(FutureTest, RunUntilCompleteRethrowsTheFuturesException) {
    auto f = loop().create_future<int>();
    loop().call_soon([f]() mutable { f.set_exception(std::invalid_argument("bad")); });
    EXPECT_THROW(loop().run_until_complete(f), std::invalid_argument);
}

}  // namespace
