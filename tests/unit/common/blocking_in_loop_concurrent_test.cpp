// A blocking wait on a concurrent future (result, exception, concurrent::wait, as_completed)
// from a thread that runs an event loop would stall every task and timer of that loop: it
// fails at once with event_loop_error naming the way out. Waits that cannot block (a done
// future, a zero timeout) and waits on threads without a running loop behave as before.
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/concurrent_wait.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/run_in_executor.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/common/wrap_future.hpp"

namespace {

using namespace shoal;

constexpr double deadline_s = 10.0;

// Runs `wait` in a task; returns the event_loop_error's message, or "returned".
template <class Wait>
task<std::string> blocking_in_a_task(Wait wait) {
    try {
        wait();
        co_return "returned";
    } catch (const event_loop_error& e) {
        co_return e.what();
    }
}

template <class Wait>
std::string run_in_a_task(Wait wait) {
    event_loop loop;
    return loop.run_until_complete(blocking_in_a_task(std::move(wait)));
}

void expect_names_the_way_out(const std::string& message) {
    EXPECT_NE(message.find("co_await"), std::string::npos) << message;
    EXPECT_NE(message.find("run_in_executor"), std::string::npos) << message;
}

TEST(BlockingInLoop, ResultOfAPendingFutureInsideALoopTaskFailsAtOnce) {
    auto pending = concurrent::make_future<int>();
    expect_names_the_way_out(run_in_a_task([&] { (void)pending.result(deadline_s); }));
    expect_names_the_way_out(run_in_a_task([&] { (void)pending.exception(deadline_s); }));
    EXPECT_FALSE(pending.done());
}

TEST(BlockingInLoop, ConcurrentWaitAndAsCompletedInsideALoopTaskFailAtOnce) {
    std::vector<concurrent::future<int>> fs{concurrent::make_ready_future(1),
                                            concurrent::make_future<int>()};
    expect_names_the_way_out(run_in_a_task([&] { (void)concurrent::wait(fs, deadline_s); }));
    expect_names_the_way_out(run_in_a_task([&] {
        for (const auto& f : concurrent::as_completed(fs, deadline_s)) (void)f;
    }));
}

TEST(BlockingInLoop, WaitsThatCannotBlockAreAllowedInsideALoopTask) {
    auto done = concurrent::make_ready_future(1);
    auto pending = concurrent::make_future<int>();
    std::vector<concurrent::future<int>> fs{done, pending};
    EXPECT_EQ(run_in_a_task([&] {
                  EXPECT_EQ(done.result(), 1);
                  EXPECT_EQ(done.exception(), nullptr);
                  EXPECT_THROW((void)pending.result(0.0), timeout_error);  // a poll
                  EXPECT_EQ(concurrent::wait(fs, deadline_s, FIRST_COMPLETED).done.size(), 1u);
                  EXPECT_EQ(concurrent::wait(fs, 0.0).not_done.size(), 1u);
              }),
              "returned");
}

TEST(BlockingInLoop, AThreadPoolTaskStillBlocksOnAFuture) {
    thread_pool_executor pool(1);
    std::promise<int> answer;
    auto pending = pool.submit([f = answer.get_future().share()] { return f.get(); });
    auto waiting = pool.submit([pending] { return pending.result(deadline_s); });
    answer.set_value(4);
    EXPECT_EQ(waiting.result(deadline_s), 4);  // the test's thread runs no loop either
}

task<int> block_in_the_default_executor(concurrent::future<int> pending,
                                        std::promise<int>& answer) {
    auto blocked = event_loop::current().run_in_executor(
        nullptr, [pending] { return pending.result(deadline_s); });
    answer.set_value(9);
    co_return co_await blocked;
}

TEST(BlockingInLoop, RunInExecutorIsTheWayOut) {
    std::promise<int> answer;
    thread_pool_executor pool(1);
    auto pending = pool.submit([f = answer.get_future().share()] { return f.get(); });
    event_loop loop;
    EXPECT_EQ(loop.run_until_complete(block_in_the_default_executor(pending, answer)), 9);
}

}  // namespace
