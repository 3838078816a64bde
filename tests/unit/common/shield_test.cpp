#include "shoal/common/shield.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::future;
using shoal::task;

class ShieldTest : public shoal::testing::driven_loop_fixture {};

task<int> value_after(double seconds, int value) {
    co_await shoal::sleep(seconds);
    co_return value;
}

TEST_F(ShieldTest, CancellingTheCallerLeavesTheInnerRunning) {
    auto inner = loop().create_task(value_after(0.5, 5));
    auto caller = loop().create_task(
        [](future<int> in) -> task<int> { co_return co_await shoal::shield(in); }(inner));
    run_once();
    run_once();
    caller.cancel();
    ASSERT_TRUE(drive(caller));
    EXPECT_TRUE(caller.cancelled());
    EXPECT_FALSE(inner.done());
    ASSERT_TRUE(drive(inner));
    EXPECT_EQ(inner.result(), 5);
}

TEST_F(ShieldTest, MirrorsTheInnerResult) {
    auto inner = loop().create_future<int>();
    auto outer = shoal::shield(inner);
    inner.set_result(4);
    ASSERT_TRUE(drive(outer));
    EXPECT_EQ(outer.result(), 4);
}

TEST_F(ShieldTest, MirrorsTheInnerException) {
    auto inner = loop().create_future<int>();
    auto outer = shoal::shield(inner);
    inner.set_exception(std::logic_error("x"));
    ASSERT_TRUE(drive(outer));
    EXPECT_THROW(outer.result(), std::logic_error);
    EXPECT_THROW(inner.result(), std::logic_error);
}

TEST_F(ShieldTest, InnerCancelledFromElsewhereCancelsTheOuter) {
    auto inner = loop().create_future<int>();
    auto outer = shoal::shield(inner);
    inner.cancel();
    ASSERT_TRUE(drive(outer));
    EXPECT_TRUE(outer.cancelled());
}

TEST_F(ShieldTest, ShieldOfADoneFutureIsThatFuture) {
    auto inner = loop().create_future<int>();
    inner.set_result(1);
    auto outer = shoal::shield(inner);
    EXPECT_TRUE(outer.done());
    EXPECT_EQ(outer.result(), 1);
}

}  // namespace
