#include "shoal/common/wait.hpp"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::future;
using shoal::task;
using shoal::wait_result;

class WaitTest : public shoal::testing::driven_loop_fixture {
  protected:
    std::vector<future<int>> three_futures() {
        return {loop().create_future<int>(), loop().create_future<int>(),
                loop().create_future<int>()};
    }
};

TEST_F(WaitTest, AllCompletedReturnsOnlyWhenEveryFutureIsDone) {
    auto fs = three_futures();
    auto w = loop().create_task(shoal::wait(fs));
    fs[0].set_result(1);
    fs[1].set_result(2);
    for (int i = 0; i < 5; ++i) run_once();
    EXPECT_FALSE(w.done());
    fs[2].set_result(3);
    ASSERT_TRUE(drive(w));
    EXPECT_EQ(w.result().done.size(), 3u);
    EXPECT_TRUE(w.result().pending.empty());
}

TEST_F(WaitTest, FirstCompletedReturnsAsSoonAsOneIsDone) {
    auto fs = three_futures();
    auto w = loop().create_task(shoal::wait(fs, std::nullopt, shoal::FIRST_COMPLETED));
    fs[1].set_result(2);
    ASSERT_TRUE(drive(w));
    ASSERT_EQ(w.result().done.size(), 1u);
    EXPECT_EQ(w.result().done[0].result(), 2);
    EXPECT_EQ(w.result().pending.size(), 2u);
}

TEST_F(WaitTest, FirstExceptionReturnsOnTheFirstFailure) {
    auto fs = three_futures();
    auto w = loop().create_task(shoal::wait(fs, std::nullopt, shoal::FIRST_EXCEPTION));
    fs[0].set_result(1);
    for (int i = 0; i < 5; ++i) run_once();
    EXPECT_FALSE(w.done());
    fs[2].set_exception(std::runtime_error("bad"));
    ASSERT_TRUE(drive(w));
    EXPECT_EQ(w.result().done.size(), 2u);
    EXPECT_EQ(w.result().pending.size(), 1u);
    EXPECT_THROW(w.result().done[1].result(), std::runtime_error);
}

TEST_F(WaitTest, FirstExceptionWithoutFailuresWaitsForAll) {
    auto fs = three_futures();
    auto w = loop().create_task(shoal::wait(fs, std::nullopt, shoal::FIRST_EXCEPTION));
    fs[0].set_result(1);
    fs[1].cancel();  // a cancellation is not an exception for FIRST_EXCEPTION
    for (int i = 0; i < 5; ++i) run_once();
    EXPECT_FALSE(w.done());
    fs[2].set_result(3);
    ASSERT_TRUE(drive(w));
    EXPECT_EQ(w.result().done.size(), 3u);
}

TEST_F(WaitTest, TimeoutReturnsPendingWithoutThrowingOrCancelling) {
    auto fs = three_futures();
    fs[0].set_result(1);
    auto w = loop().create_task(shoal::wait(fs, 0.5));
    run_once();
    advance(0.4);
    EXPECT_FALSE(w.done());
    advance(0.2);
    run_once();
    ASSERT_TRUE(w.done());
    EXPECT_EQ(w.result().done.size(), 1u);
    EXPECT_EQ(w.result().pending.size(), 2u);
    EXPECT_FALSE(fs[1].cancelled());
    fs[1].set_result(2);  // the callbacks wait left behind are gone: this must be harmless
    fs[2].set_result(3);
    run_once();
}

TEST_F(WaitTest, KeepsInputOrderWithinDoneAndPending) {
    auto fs = three_futures();
    fs[2].set_result(3);
    fs[0].set_result(1);
    auto w = loop().create_task(shoal::wait(fs, 0.0));
    ASSERT_TRUE(drive(w));
    ASSERT_EQ(w.result().done.size(), 2u);
    EXPECT_EQ(w.result().done[0].result(), 1);
    EXPECT_EQ(w.result().done[1].result(), 3);
}

TEST_F(WaitTest, EmptySetIsAnInvalidArgument) {
    auto w = loop().create_task(shoal::wait(std::vector<future<int>>{}));
    ASSERT_TRUE(drive(w));
    EXPECT_THROW(w.result(), std::invalid_argument);
}

TEST_F(WaitTest, CancellingTheWaiterLeavesTheFuturesAlone) {
    auto fs = three_futures();
    auto w = loop().create_task(shoal::wait(fs));
    run_once();
    w.cancel();
    ASSERT_TRUE(drive(w));
    EXPECT_TRUE(w.cancelled());
    for (auto& f : fs) EXPECT_FALSE(f.done());
    for (auto& f : fs) f.set_result(0);
    run_once();
}

}  // namespace
