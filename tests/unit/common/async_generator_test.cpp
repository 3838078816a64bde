#include "shoal/common/async_generator.hpp"

#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "drive.hpp"
#include "lifetime_counter.hpp"
#include "loop_fixture.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

using shoal::async_generator;
using shoal::future;
using shoal::task;

class AsyncGeneratorTest : public shoal::testing::driven_loop_fixture {};

// The seeds' Ticker: yields 0..to-1 with a sleep between values.
async_generator<int> ticker(double delay, int to) {
    for (int i = 0; i < to; ++i) {
        co_yield i;
        co_await shoal::sleep(delay);
    }
}

task<std::vector<int>> drain(async_generator<int> gen) {
    std::vector<int> out;
    while (auto v = co_await gen.next()) out.push_back(*v);
    co_return out;
}

TEST_F(AsyncGeneratorTest, TickerYieldsItsValuesInOrderThenEnds) {
    auto f = loop().create_task(drain(ticker(0.1, 5)));
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(AsyncGeneratorTest, ValuesArriveAtTheRhythmOfTheSleeps) {
    auto times = std::make_shared<std::vector<double>>();
    auto f = loop().create_task([](std::shared_ptr<std::vector<double>> out) -> task<void> {
        auto gen = ticker(1.0, 3);
        while (co_await gen.next()) out->push_back(shoal::event_loop::current().time());
    }(times));
    const double start = loop().time();
    ASSERT_TRUE(shoal::testing::drive_until_done(loop(), clock(), f, 0.25));
    ASSERT_EQ(times->size(), 3u);
    EXPECT_LT((*times)[0] - start, 0.5);
    EXPECT_GE((*times)[1] - (*times)[0], 1.0);
    EXPECT_GE((*times)[2] - (*times)[1], 1.0);
}

TEST_F(AsyncGeneratorTest, ExceptionInTheBodyReachesNext) {
    auto f = loop().create_task([]() -> task<int> {
        auto gen = []() -> async_generator<int> {
            co_yield 1;
            throw std::domain_error("generator failed");
        }();
        auto first = co_await gen.next();
        int v = first.value();
        co_await gen.next();
        co_return v;
    }());
    ASSERT_TRUE(drive(f));
    EXPECT_THROW(f.result(), std::domain_error);
}

TEST_F(AsyncGeneratorTest, DestroyingASuspendedGeneratorDestroysItsLocals) {
    shoal::testing::lifetime_stats stats;
    auto f = loop().create_task([](shoal::testing::lifetime_stats& s) -> task<int> {
        auto gen = [](shoal::testing::lifetime_stats& st) -> async_generator<int> {
            shoal::testing::lifetime_counter local(st);
            for (int i = 0;; ++i) co_yield i;
        }(s);
        auto v = co_await gen.next();
        co_return *v;
    }(stats));
    ASSERT_TRUE(drive(f));
    EXPECT_EQ(f.result(), 0);
    EXPECT_GT(stats.constructed, 0);
    EXPECT_EQ(stats.alive(), 0);
}

TEST_F(AsyncGeneratorTest, CancellingTheConsumerWhileTheGeneratorSleepsRaisesCancelled) {
    auto f = loop().create_task(drain(ticker(10.0, 3)));
    run_once();
    run_once();
    f.cancel();
    ASSERT_TRUE(drive(f));
    EXPECT_TRUE(f.cancelled());
}

}  // namespace
