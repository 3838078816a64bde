// shoal/common/runtime.hpp says "everything of the runtime in one include": this file includes
// nothing else of shoal's, and uses one name from every public header of common/ (it does not
// compile when one is left out).
#include <type_traits>

#include <gtest/gtest.h>

#include "shoal/common/runtime.hpp"

namespace {

inline constexpr shoal::task_def<long(long)> twice{"twice"};

TEST(RuntimeHeader, ReachesEveryPartOfTheRuntime) {
    // Coroutines, futures and their combinators.
    EXPECT_TRUE((std::is_class_v<shoal::task<int>>));
    EXPECT_TRUE((std::is_class_v<shoal::future<int>>));
    EXPECT_TRUE((std::is_class_v<shoal::concurrent::future<int>>));
    EXPECT_TRUE((std::is_class_v<shoal::async_generator<int>>));
    // Synchronisation primitives and the queues.
    EXPECT_TRUE((std::is_class_v<shoal::event>));
    EXPECT_TRUE((std::is_class_v<shoal::lock>));
    EXPECT_TRUE((std::is_class_v<shoal::semaphore>));
    EXPECT_TRUE((std::is_class_v<shoal::bounded_semaphore>));
    EXPECT_TRUE((std::is_class_v<shoal::queue<int>>));
    EXPECT_TRUE((std::is_class_v<shoal::priority_queue<int>>));
    EXPECT_TRUE((std::is_class_v<shoal::lifo_queue<int>>));
    // Loops, handles, clocks and executors.
    EXPECT_TRUE((std::is_class_v<shoal::event_loop>));
    EXPECT_TRUE((std::is_class_v<shoal::timer_handle>));
    EXPECT_TRUE((std::is_class_v<shoal::steady_clock>));
    EXPECT_TRUE((std::is_class_v<shoal::thread_pool_executor>));
    EXPECT_TRUE((std::is_class_v<shoal::process_pool_executor>));
    // Functions by name, for the process pool and the workers.
    shoal::function_registry registry;
    registry.define(twice, [](long x) { return 2 * x; });
    EXPECT_EQ(registry.invoke("twice", shoal::detail::pack_arguments(21L)),
              shoal::detail::pack_result(42L));
    EXPECT_FALSE(shoal::this_task::stop_requested());
}

}  // namespace
