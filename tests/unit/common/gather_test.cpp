#include "shoal/common/gather.hpp"

#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"

namespace {

using shoal::future;
using shoal::task;

class GatherTest : public shoal::testing::driven_loop_fixture {};

task<int> value_after(double seconds, int value) {
    co_await shoal::sleep(seconds);
    co_return value;
}

task<int> fail_after(double seconds, std::string message) {
    co_await shoal::sleep(seconds);
    throw std::runtime_error(message);
}

TEST_F(GatherTest, KeepsArgumentOrderNotCompletionOrder) {
    auto f = loop().create_task([]() -> task<std::tuple<int, int, int>> {
        co_return co_await shoal::gather(value_after(0.3, 1), value_after(0.1, 2),
                                         value_after(0.2, 3));
    }());
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), std::make_tuple(1, 2, 3));
}

TEST_F(GatherTest, RangeOfTasksReturnsVectorInInputOrder) {
    auto f = loop().create_task([]() -> task<std::vector<int>> {
        std::vector<task<int>> tasks;
        for (int i = 0; i < 10; ++i) tasks.push_back(value_after(0.01 * (10 - i), i));
        co_return co_await shoal::gather(std::move(tasks));
    }());
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(GatherTest, RangeOfFuturesAcceptsPlainFutures) {
    std::vector<future<int>> futures{loop().create_future<int>(), loop().create_future<int>()};
    auto g = shoal::gather(futures);
    futures[1].set_result(20);
    futures[0].set_result(10);
    ASSERT_TRUE(drive(g));
    EXPECT_EQ(g.result(), (std::vector<int>{10, 20}));
}

TEST_F(GatherTest, FailsWithFirstExceptionWhileOthersKeepRunning) {
    auto slow = loop().create_task(value_after(1.0, 7));
    auto g = shoal::gather(slow, fail_after(0.1, "first"), fail_after(0.2, "second"));
    ASSERT_TRUE(drive(g));
    try {
        g.result();
        FAIL() << "gather should have failed";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "first");
    }
    EXPECT_FALSE(slow.done());  // not cancelled by the failure
    ASSERT_TRUE(drive(slow));
    EXPECT_EQ(slow.result(), 7);
}

TEST_F(GatherTest, ReturnExceptionsCollectsOutcomesInOrder) {
    auto g = shoal::gather(shoal::return_exceptions, loop().create_task(value_after(0.1, 5)),
                           fail_after(0.05, "bad"));
    ASSERT_TRUE(drive(g));
    auto& [ok, bad] = g.result();
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok.value(), 5);
    ASSERT_FALSE(bad.has_value());
    EXPECT_THROW(bad.value(), std::runtime_error);
    EXPECT_FALSE(bad.cancelled());
}

TEST_F(GatherTest, ReturnExceptionsReportsCancelledChildAsCancelled) {
    auto child = loop().create_future<int>();
    std::vector<future<int>> children{child, loop().create_future<int>()};
    children[1].set_result(1);
    auto g = shoal::gather(shoal::return_exceptions, children);
    child.cancel();
    ASSERT_TRUE(drive(g));
    EXPECT_TRUE(g.result()[0].cancelled());
    EXPECT_EQ(g.result()[1].value(), 1);
}

TEST_F(GatherTest, CancelledChildFailsGatherWithCancelledError) {
    auto a = loop().create_future<int>();
    auto b = loop().create_future<int>();
    auto g = shoal::gather(a, b);
    a.cancel();
    ASSERT_TRUE(drive(g));
    EXPECT_FALSE(g.cancelled());
    EXPECT_THROW(g.result(), shoal::cancelled_error);
    b.set_result(1);
}

TEST_F(GatherTest, CancellingGatherCancelsChildrenAndEndsCancelled) {
    auto a = loop().create_task(value_after(10, 1));
    auto b = loop().create_task(value_after(10, 2));
    auto g = shoal::gather(a, b);
    run_once();  // let both tasks start and reach their sleep
    EXPECT_TRUE(g.cancel());
    ASSERT_TRUE(drive(g));
    EXPECT_TRUE(g.cancelled());
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
}

TEST_F(GatherTest, CancellingDoneGatherReturnsFalse) {
    auto a = loop().create_future<int>();
    a.set_result(1);
    auto g = shoal::gather(std::vector<future<int>>{a});
    ASSERT_TRUE(drive(g));
    EXPECT_FALSE(g.cancel());
}

TEST_F(GatherTest, EmptyRangeResolvesToEmptyVector) {
    auto f = loop().create_task([]() -> task<std::size_t> {
        auto all = co_await shoal::gather(std::vector<future<int>>{});
        co_return all.size();
    }());
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), 0u);
}

TEST_F(GatherTest, VoidChildrenYieldMonostate) {
    auto a = loop().create_future<void>();
    auto b = loop().create_future<int>();
    auto g = shoal::gather(a, b);
    a.set_result();
    b.set_result(3);
    ASSERT_TRUE(drive(g));
    EXPECT_EQ(std::get<1>(g.result()), 3);
    EXPECT_EQ(std::get<0>(g.result()), std::monostate{});
}

TEST_F(GatherTest, LaterChildFailuresAfterTheFirstAreNotReportedAsLost) {
    auto g = shoal::gather(loop().create_task(fail_after(0.1, "one")), fail_after(0.2, "two"));
    ASSERT_TRUE(drive(g));
    EXPECT_THROW(g.result(), std::runtime_error);
    for (int i = 0; i < 400; ++i) advance(0.001);  // let the second one fail too
    EXPECT_TRUE(take_reports().empty());
}

TEST_F(GatherTest, LazyTasksAloneNeedARunningLoop) {
    EXPECT_THROW(shoal::gather(value_after(0.1, 1), value_after(0.1, 2)), shoal::event_loop_error);
}

}  // namespace
