// shoal::concurrent::wait and as_completed over concurrent futures.

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/concurrent_wait.hpp"

namespace {

using shoal::concurrent::future;
using shoal::concurrent::make_future;

std::vector<future<int>> pending_futures(int n) {
    std::vector<future<int>> fs;
    for (int i = 0; i < n; ++i) {
        fs.push_back(make_future<int>());
    }
    return fs;
}

TEST(ConcurrentWait, AllCompletedReturnsWhenEveryFutureIsDone) {
    auto fs = pending_futures(3);
    std::jthread setter([fs] {
        for (int i = 0; i < 3; ++i) {
            fs[static_cast<std::size_t>(i)].set_result(i);
        }
    });
    const auto r = shoal::concurrent::wait(fs);
    EXPECT_EQ(r.done.size(), 3U);
    EXPECT_TRUE(r.not_done.empty());
}

TEST(ConcurrentWait, FirstCompletedReturnsAfterOneFuture) {
    auto fs = pending_futures(3);
    std::jthread setter([f = fs[1]] { f.set_result(1); });
    const auto r = shoal::concurrent::wait(fs, {}, shoal::FIRST_COMPLETED);
    ASSERT_GE(r.done.size(), 1U);
    EXPECT_EQ(r.done.front(), fs[1]);
    EXPECT_EQ(r.not_done.size(), 2U);
}

TEST(ConcurrentWait, FirstCompletedCountsCancellation) {
    auto fs = pending_futures(2);
    fs[0].cancel();
    const auto r = shoal::concurrent::wait(fs, 5.0, shoal::FIRST_COMPLETED);
    ASSERT_EQ(r.done.size(), 1U);
    EXPECT_EQ(r.done.front(), fs[0]);
}

TEST(ConcurrentWait, FirstExceptionReturnsOnFailureWithOthersPending) {
    auto fs = pending_futures(3);
    fs[0].set_result(0);
    std::jthread failer(
        [f = fs[2]] { f.set_exception(std::make_exception_ptr(std::runtime_error("x"))); });
    const auto r = shoal::concurrent::wait(fs, {}, shoal::FIRST_EXCEPTION);
    EXPECT_EQ(r.done.size(), 2U);
    ASSERT_EQ(r.not_done.size(), 1U);
    EXPECT_EQ(r.not_done.front(), fs[1]);
}

TEST(ConcurrentWait, FirstExceptionWithoutFailureWaitsForAll) {
    auto fs = pending_futures(2);
    fs[0].set_result(0);
    // A value alone must not end a FIRST_EXCEPTION wait: it times out with fs[1] pending.
    const auto r = shoal::concurrent::wait(fs, 0.05, shoal::FIRST_EXCEPTION);
    EXPECT_EQ(r.not_done.size(), 1U);
    fs[1].set_result(1);
    EXPECT_EQ(shoal::concurrent::wait(fs, {}, shoal::FIRST_EXCEPTION).done.size(), 2U);
}

TEST(ConcurrentWait, TimeoutReturnsPendingFuturesWithoutThrowing) {
    auto fs = pending_futures(2);
    fs[0].set_result(0);
    const auto start = std::chrono::steady_clock::now();
    const auto r = shoal::concurrent::wait(fs, 0.05);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
    ASSERT_EQ(r.done.size(), 1U);
    ASSERT_EQ(r.not_done.size(), 1U);
    EXPECT_EQ(r.not_done.front(), fs[1]);
}

TEST(ConcurrentWait, EmptyInputReturnsAtOnce) {
    const auto r = shoal::concurrent::wait(std::vector<future<int>>{}, {}, shoal::FIRST_COMPLETED);
    EXPECT_TRUE(r.done.empty());
    EXPECT_TRUE(r.not_done.empty());
}

TEST(AsCompleted, YieldsDoneFuturesFirstThenInCompletionOrder) {
    auto fs = pending_futures(3);
    fs[2].set_result(2);
    std::vector<future<int>> order;
    for (const auto& f : shoal::concurrent::as_completed(fs, 5.0)) {
        order.push_back(f);
        // Settle the next one only after the previous was yielded: the order is forced.
        if (order.size() == 1) {
            fs[0].set_result(0);
        } else if (order.size() == 2) {
            std::jthread([f1 = fs[1]] { f1.set_result(1); }).join();
        }
    }
    ASSERT_EQ(order.size(), 3U);
    EXPECT_EQ(order[0], fs[2]);
    EXPECT_EQ(order[1], fs[0]);
    EXPECT_EQ(order[2], fs[1]);
}

TEST(AsCompleted, YieldsDuplicatesOnce) {
    auto f = shoal::concurrent::make_ready_future(1);
    int yielded = 0;
    for (const auto& g : shoal::concurrent::as_completed(std::vector{f, f})) {
        EXPECT_EQ(g.result(), 1);
        ++yielded;
    }
    EXPECT_EQ(yielded, 1);
}

TEST(AsCompleted, ThrowsTimeoutWhenFuturesStayPending) {
    auto fs = pending_futures(2);
    fs[0].set_result(0);
    int yielded = 0;
    try {
        for (const auto& f : shoal::concurrent::as_completed(fs, 0.05)) {
            (void)f;
            ++yielded;
        }
        FAIL() << "as_completed should have timed out";
    } catch (const shoal::timeout_error& e) {
        EXPECT_STREQ(e.what(), "1 (of 2) futures unfinished");
    }
    EXPECT_EQ(yielded, 1);
}

TEST(AsCompleted, UnregistersSoLaterCompletionIsHarmless) {
    auto fs = pending_futures(1);
    EXPECT_THROW(
        {
            for (const auto& f : shoal::concurrent::as_completed(fs, 0.0)) {
                (void)f;
            }
        },
        shoal::timeout_error);
    fs[0].set_result(1);  // must not touch the destroyed range's waiter
    EXPECT_EQ(fs[0].result(), 1);
}

}  // namespace
