#include "shoal/common/wait_for.hpp"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::future;
using shoal::task;

class WaitForTest : public shoal::testing::driven_loop_fixture {};

task<int> value_after(double seconds, int value) {
    co_await shoal::sleep(seconds);
    co_return value;
}

// Records what the inner coroutine saw, to prove it was cancelled and had finished its
// cleanup before wait_for gave up.
struct inner_log {
    bool saw_cancel = false;
    bool cleaned_up = false;
};

task<int> slow_with_cleanup(std::shared_ptr<inner_log> log) {
    try {
        co_await shoal::sleep(10);
    } catch (const shoal::cancelled_error&) {
        log->saw_cancel = true;
    }
    if (log->saw_cancel) {
        co_await shoal::sleep(
            0.05);  // cleanup that itself takes a while (no co_await in a handler)
        log->cleaned_up = true;
        throw shoal::cancelled_error();
    }
    co_return 0;
}

TEST_F(WaitForTest, ReturnsTheResultBeforeTheTimeout) {
    auto f = loop().create_task(shoal::wait_for(value_after(0.1, 7), 1.0));
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), 7);
}

TEST_F(WaitForTest, TimeoutCancelsTheInnerTaskAndWaitsForItToFinish) {
    auto log = std::make_shared<inner_log>();
    bool cleaned_when_timeout_arrived = false;
    auto f = loop().create_task([](std::shared_ptr<inner_log> l, bool& cleaned) -> task<void> {
        try {
            co_await shoal::wait_for(slow_with_cleanup(l), 0.5);
        } catch (const shoal::timeout_error&) {
            cleaned = l->cleaned_up;
            throw;
        }
    }(log, cleaned_when_timeout_arrived));
    ASSERT_TRUE(drive(f));
    EXPECT_THROW(f.result(), shoal::timeout_error);
    EXPECT_TRUE(log->saw_cancel);
    EXPECT_TRUE(cleaned_when_timeout_arrived);
}

TEST_F(WaitForTest, InnerThatSwallowsTheCancelReturnsItsValue) {
    auto f = loop().create_task(shoal::wait_for(
        []() -> task<int> {
            try {
                co_await shoal::sleep(10);
            } catch (const shoal::cancelled_error&) {
                co_return 99;
            }
            co_return 0;
        }(),
        0.1));
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), 99);
}

TEST_F(WaitForTest, CancellingTheCallerCancelsTheInner) {
    auto inner = loop().create_task(value_after(10, 1));
    auto outer = loop().create_task(shoal::wait_for(inner, 5.0));
    run_once();
    run_once();
    outer.cancel();
    ASSERT_TRUE(drive(outer));
    EXPECT_TRUE(outer.cancelled());
    ASSERT_TRUE(drive(inner));
    EXPECT_TRUE(inner.cancelled());
}

TEST_F(WaitForTest, NoTimeoutMeansWaitAsLongAsItTakes) {
    auto f = loop().create_task(shoal::wait_for(value_after(100, 3), std::nullopt));
    ASSERT_TRUE(shoal::testing::drive_until_done(loop(), clock(), f, 1.0));
    EXPECT_EQ(f.result(), 3);
}

TEST_F(WaitForTest, ZeroTimeoutOnPendingFutureTimesOutAndCancelsIt) {
    auto inner = loop().create_future<int>();
    auto f = loop().create_task(shoal::wait_for(inner, 0.0));
    ASSERT_TRUE(drive(f));
    EXPECT_THROW(f.result(), shoal::timeout_error);
    EXPECT_TRUE(inner.cancelled());
}

TEST_F(WaitForTest, ExceptionFromInnerPropagates) {
    auto f = loop().create_task(shoal::wait_for(
        []() -> task<int> {
            co_await shoal::sleep(0.01);
            throw std::out_of_range("inner");
        }(),
        1.0));
    ASSERT_TRUE(drive(f));
    EXPECT_THROW(f.result(), std::out_of_range);
}

}  // namespace
