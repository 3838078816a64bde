#include "shoal/common/as_completed.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

using shoal::future;
using shoal::task;

class AsCompletedTest : public shoal::testing::driven_loop_fixture {};

task<int> value_after(double seconds, int value) {
    co_await shoal::sleep(seconds);
    co_return value;
}

task<std::vector<int>> collect(std::vector<future<int>> fs, std::optional<double> timeout) {
    std::vector<int> order;
    auto gen = shoal::as_completed(std::move(fs), timeout);
    while (auto f = co_await gen.next()) order.push_back(f->result());
    co_return order;
}

TEST_F(AsCompletedTest, YieldsInCompletionOrder) {
    std::vector<future<int>> fs;
    for (int v : {3, 1, 4, 2}) fs.push_back(loop().create_task(value_after(0.1 * v, v)));
    auto order = loop().create_task(collect(fs, std::nullopt));
    ASSERT_TRUE(drive(order));
    EXPECT_EQ(order.result(), (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(AsCompletedTest, AlreadyDoneFuturesComeFirstInInputOrder) {
    std::vector<future<int>> fs{loop().create_future<int>(), loop().create_future<int>(),
                                loop().create_future<int>()};
    fs[2].set_result(30);
    fs[1].set_result(20);
    auto order = loop().create_task(collect(fs, std::nullopt));
    run_once();
    fs[0].set_result(10);
    ASSERT_TRUE(drive(order));
    EXPECT_EQ(order.result(), (std::vector<int>{20, 30, 10}));
}

TEST_F(AsCompletedTest, TimeoutThrowsAfterYieldingWhatFinishedAndCancelsNothing) {
    std::vector<future<int>> fs{loop().create_task(value_after(0.1, 1)),
                                loop().create_task(value_after(5.0, 2))};
    auto seen = std::make_shared<std::vector<int>>();
    auto consumer = loop().create_task(
        [](std::vector<future<int>> in, std::shared_ptr<std::vector<int>> out) -> task<void> {
            auto gen = shoal::as_completed(std::move(in), 1.0);
            while (auto f = co_await gen.next()) out->push_back(f->result());
        }(fs, seen));
    ASSERT_TRUE(drive(consumer));
    EXPECT_THROW(consumer.result(), shoal::timeout_error);
    EXPECT_EQ(*seen, std::vector<int>{1});
    EXPECT_FALSE(fs[1].done());
    ASSERT_TRUE(drive(fs[1]));
    EXPECT_EQ(fs[1].result(), 2);
}

TEST_F(AsCompletedTest, EmptyInputYieldsNothing) {
    auto order = loop().create_task(collect({}, std::nullopt));
    ASSERT_TRUE(drive(order));
    EXPECT_TRUE(order.result().empty());
}

}  // namespace
