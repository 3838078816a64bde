// shoal::this_task on threads: a stop_scope makes a std::stop_token the current task's, per
// thread, nested scopes restore the previous one, and a request reaches a task running on a
// thread_pool_executor.

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>

#include <gtest/gtest.h>

#include "shoal/common/errors.hpp"
#include "shoal/common/this_task.hpp"
#include "shoal/common/thread_pool_executor.hpp"

namespace {

using namespace std::chrono_literals;

TEST(ThisTask, NoScopeMeansNoStop) {
    EXPECT_FALSE(shoal::this_task::stop_requested());
    EXPECT_FALSE(shoal::this_task::stop_token().stop_possible());
}

TEST(ThisTask, ScopesNestAndRestore) {
    std::stop_source outer;
    std::stop_source inner;
    inner.request_stop();
    {
        shoal::this_task::stop_scope a(outer.get_token());
        EXPECT_FALSE(shoal::this_task::stop_requested());
        {
            shoal::this_task::stop_scope b(inner.get_token());
            EXPECT_TRUE(shoal::this_task::stop_requested());
        }
        EXPECT_FALSE(shoal::this_task::stop_requested());
        outer.request_stop();
        EXPECT_TRUE(shoal::this_task::stop_requested());
        EXPECT_TRUE(shoal::this_task::stop_token().stop_requested());
    }
    EXPECT_FALSE(shoal::this_task::stop_requested());
}

TEST(ThisTask, AScopeIsPerThread) {
    std::stop_source source;
    source.request_stop();
    shoal::this_task::stop_scope scope(source.get_token());
    bool other_sees = true;
    std::thread([&] { other_sees = shoal::this_task::stop_requested(); }).join();
    EXPECT_FALSE(other_sees);
    EXPECT_TRUE(shoal::this_task::stop_requested());
}

TEST(ThisTask, ARequestReachesATaskOnAPoolThread) {
    shoal::thread_pool_executor pool(2);
    std::stop_source source;
    std::atomic<bool> started{false};
    auto f = pool.submit([&started, token = source.get_token()] {
        shoal::this_task::stop_scope scope(token);
        started = true;
        std::atomic<bool> called_back{false};
        std::stop_callback callback(shoal::this_task::stop_token(),
                                    [&called_back] { called_back = true; });
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!shoal::this_task::stop_requested() && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(2ms);
        }
        if (!shoal::this_task::stop_requested()) return -1;
        // request_stop() sets the flag, then runs the callbacks on its own thread: the flag
        // may be seen here before the callback has run (it did, once, on a loaded machine).
        const auto callback_until = std::chrono::steady_clock::now() + 10s;
        while (!called_back && std::chrono::steady_clock::now() < callback_until) {
            std::this_thread::sleep_for(2ms);
        }
        if (!called_back) return -2;
        throw shoal::soft_time_limit_exceeded();
    });
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!started && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
    ASSERT_TRUE(started);
    source.request_stop();
    EXPECT_THROW((void)f.result(10.0), shoal::time_limit_exceeded);
    // The pool's thread left the scope: a plain task sees no stop.
    EXPECT_FALSE(pool.submit([] { return shoal::this_task::stop_requested(); }).result(10.0));
}

}  // namespace
