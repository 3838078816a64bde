#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "shoal/common/gather.hpp"
#include "shoal/common/run_in_executor.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/thread_pool_executor.hpp"

namespace {

using shoal::task;

int blocking_sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
}

TEST(RunInExecutor, ThreeBlockingSleepsFinishInAboutTheLongestNotTheSum) {
    shoal::event_loop loop;
    const double start = loop.time();
    auto results = loop.run_until_complete([]() -> task<std::tuple<int, int, int>> {
        auto& l = shoal::event_loop::current();
        co_return co_await shoal::gather(l.run_in_executor(nullptr, blocking_sleep_ms, 100),
                                         l.run_in_executor(nullptr, blocking_sleep_ms, 200),
                                         l.run_in_executor(nullptr, blocking_sleep_ms, 300));
    }());
    const double elapsed = loop.time() - start;
    EXPECT_EQ(results, std::make_tuple(100, 200, 300));
    EXPECT_GE(elapsed, 0.3);
    EXPECT_LT(elapsed, 0.55);  // the sum would be 0.6 s
}

TEST(RunInExecutor, ExceptionFromTheExecutorReachesTheAwaiter) {
    shoal::event_loop loop;
    auto f = loop.create_task([]() -> task<int> {
        co_return co_await shoal::event_loop::current().run_in_executor(
            nullptr, []() -> int { throw std::length_error("too long"); });
    }());
    EXPECT_THROW(loop.run_until_complete(f), std::length_error);
}

TEST(RunInExecutor, ResultIsDeliveredOnTheLoopThread) {
    shoal::event_loop loop;
    shoal::thread_pool_executor pool(2);
    const auto loop_thread = std::this_thread::get_id();
    auto ids = loop.run_until_complete(
        [](shoal::thread_pool_executor& p) -> task<std::pair<std::thread::id, std::thread::id>> {
            auto worker = co_await shoal::event_loop::current().run_in_executor(
                &p, [] { return std::this_thread::get_id(); });
            co_return std::make_pair(worker, std::this_thread::get_id());
        }(pool));
    EXPECT_NE(ids.first, loop_thread);
    EXPECT_EQ(ids.second, loop_thread);
}

TEST(RunInExecutor, ConcurrentFutureCanBeAwaitedDirectly) {
    shoal::event_loop loop;
    shoal::thread_pool_executor pool(1);
    int v = loop.run_until_complete([](shoal::thread_pool_executor& p) -> task<int> {
        co_return co_await p.submit([](int a, int b) { return a * b; }, 6, 7);
    }(pool));
    EXPECT_EQ(v, 42);
}

TEST(RunInExecutor, CancellingTheLoopFutureCancelsAQueuedCall) {
    shoal::event_loop loop;
    shoal::thread_pool_executor pool(1);
    std::atomic<bool> second_ran{false};
    auto blocker = loop.run_in_executor(&pool, blocking_sleep_ms, 100);
    auto queued = loop.run_in_executor(&pool, [&second_ran] {
        second_ran = true;
        return 0;
    });
    EXPECT_TRUE(queued.cancel());
    loop.run_until_complete(blocker);
    pool.shutdown(true);
    EXPECT_FALSE(second_ran.load());
}

TEST(RunInExecutor, ClosingTheLoopShutsTheDefaultExecutorDown) {
    shoal::event_loop loop;
    auto executor = std::make_shared<shoal::thread_pool_executor>(1);
    loop.set_default_executor(executor);
    loop.close();
    EXPECT_THROW(executor->submit([] { return 1; }), shoal::executor_shutdown_error);
}

}  // namespace
