// shoal::concurrent::future: states, blocking result, cancellation, callbacks.

#include <atomic>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/concurrent_future.hpp"

namespace {

using shoal::concurrent::future;
using shoal::concurrent::make_future;

TEST(ConcurrentFuture, DefaultConstructedHandleIsEmptyAndRefusesUse) {
    future<int> f;
    EXPECT_FALSE(f.valid());
    EXPECT_THROW((void)f.done(), shoal::invalid_state_error);
}

TEST(ConcurrentFuture, ResultReturnsValueSetByAnotherThread) {
    auto f = make_future<std::string>();
    std::jthread setter([f] { f.set_result("hello"); });
    EXPECT_EQ(f.result(), "hello");
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.exception(), nullptr);
}

TEST(ConcurrentFuture, ResultTimesOutOnPendingFuture) {
    auto f = make_future<int>();
    EXPECT_THROW((void)f.result(0.05), shoal::timeout_error);
    EXPECT_THROW((void)f.exception(0.0), shoal::timeout_error);
    EXPECT_FALSE(f.done());
}

TEST(ConcurrentFuture, ResultRethrowsStoredException) {
    auto f = make_future<int>();
    f.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
    EXPECT_THROW((void)f.result(), std::out_of_range);
    EXPECT_NE(f.exception(), nullptr);
}

TEST(ConcurrentFuture, VoidFutureCompletes) {
    auto f = make_future<void>();
    f.set_result();
    EXPECT_NO_THROW(f.result(0.0));
}

TEST(ConcurrentFuture, CancelSucceedsOnPendingFuture) {
    auto f = make_future<int>();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancel());  // again: still true, as Python
    EXPECT_THROW((void)f.result(), shoal::cancelled_error);
    EXPECT_FALSE(f.set_running_or_notify_cancel());
}

TEST(ConcurrentFuture, CancelFailsOnRunningFuture) {
    auto f = make_future<int>();
    ASSERT_TRUE(f.set_running_or_notify_cancel());
    EXPECT_TRUE(f.running());
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    f.set_result(1);
    EXPECT_FALSE(f.cancel());
    EXPECT_EQ(f.result(), 1);
}

TEST(ConcurrentFuture, CancelWakesBlockedResult) {
    auto f = make_future<int>();
    std::latch blocked(1);
    std::jthread canceller([f, &blocked] {
        blocked.wait();
        f.cancel();
    });
    blocked.count_down();
    EXPECT_THROW((void)f.result(), shoal::cancelled_error);
}

TEST(ConcurrentFuture, SettlingTwiceIsInvalidState) {
    auto f = make_future<int>();
    f.set_result(1);
    EXPECT_THROW(f.set_result(2), shoal::invalid_state_error);
    EXPECT_THROW(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                 shoal::invalid_state_error);
    auto c = make_future<int>();
    c.cancel();
    EXPECT_THROW(c.set_result(1), shoal::invalid_state_error);
}

TEST(ConcurrentFuture, CallbackRunsOnceInSettlingThread) {
    auto f = make_future<int>();
    std::atomic<int> calls{0};
    std::thread::id ran_on;
    f.add_done_callback([&](future<int> done) {
        ++calls;
        ran_on = std::this_thread::get_id();
        EXPECT_EQ(done.result(), 7);
    });
    std::thread::id setter_id;
    std::jthread setter([&] {
        setter_id = std::this_thread::get_id();
        f.set_result(7);
    });
    setter.join();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(ran_on, setter_id);
}

TEST(ConcurrentFuture, CallbackAddedAfterDoneRunsAtOnceInCaller) {
    auto f = shoal::concurrent::make_ready_future(3);
    int calls = 0;
    std::thread::id ran_on;
    f.add_done_callback([&](const future<int>&) {
        ++calls;
        ran_on = std::this_thread::get_id();
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(ConcurrentFuture, CallbackRunsOnCancel) {
    auto f = make_future<int>();
    bool saw_cancelled = false;
    f.add_done_callback([&](future<int> done) { saw_cancelled = done.cancelled(); });
    f.cancel();
    EXPECT_TRUE(saw_cancelled);
}

TEST(ConcurrentFuture, ThrowingCallbackIsSwallowedAndOthersStillRun) {
    auto f = make_future<int>();
    int later = 0;
    f.add_done_callback([](const future<int>&) { throw std::runtime_error("callback bug"); });
    f.add_done_callback([&](const future<int>&) { ++later; });
    EXPECT_NO_THROW(f.set_result(1));
    EXPECT_EQ(later, 1);
}

TEST(ConcurrentFuture, CallbacksRacingWithSetResultEachRunExactlyOnce) {
    constexpr int adders = 4;
    constexpr int per_adder = 200;
    auto f = make_future<int>();
    std::atomic<int> calls{0};
    std::latch start(adders + 1);
    std::vector<std::jthread> threads;
    for (int t = 0; t < adders; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int i = 0; i < per_adder; ++i) {
                f.add_done_callback([&](const future<int>&) { ++calls; });
            }
        });
    }
    start.arrive_and_wait();
    f.set_result(1);
    threads.clear();  // joins
    EXPECT_EQ(calls.load(), adders * per_adder);
}

TEST(ConcurrentFuture, CopiesShareOneState) {
    auto f = make_future<int>();
    auto g = f;
    EXPECT_EQ(f, g);
    g.set_result(5);
    EXPECT_EQ(f.result(), 5);
    EXPECT_NE(f, make_future<int>());
}

}  // namespace
