// gather / wait / as_completed over remote futures, alone and mixed with local pool futures,
// blocking and with co_await from a task on the test's own event_loop; map.
#include "shoal/client/client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include "fake_broker.hpp"
#include "shoal/common/as_completed.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/common/wait.hpp"
#include "shoal/common/wrap_future.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;

inline constexpr task_def<int(int, int)> add{"add"};
inline constexpr task_def<int(int)> sleep_ms{"sleep_ms"};  // returns its argument after it
inline constexpr task_def<int()> fail{"fail"};

class Combinators : public ::testing::Test {
protected:
    Combinators() {
        broker_.serve();
        client_.emplace(broker_.endpoint(), quick_options());
    }
    client& c() { return *client_; }

    fake_broker broker_;
    std::optional<client> client_;
};

// ---- blocking ----

TEST_F(Combinators, GatherReturnsEveryResultInInputOrder) {
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 60), c().submit(add, 1, 2), c().submit(sleep_ms, 20)};
    EXPECT_EQ(concurrent::gather(fs, 3.0), (std::vector<int>{60, 3, 20}));
}

TEST_F(Combinators, GatherFailsFastWithTheFailure) {
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 2000), c().submit(fail)};
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(concurrent::gather(fs, 3.0), remote_task_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(Combinators, GatherTimesOutWithoutCancellingAnything) {
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 1000), c().submit(add, 1, 1)};
    EXPECT_THROW(concurrent::gather(fs, 0.1), timeout_error);
    EXPECT_FALSE(fs[0].done());
    EXPECT_FALSE(fs[0].cancelled());
}

TEST_F(Combinators, WaitHonoursItsThreeModes) {
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 1000), c().submit(sleep_ms, 10)};
    auto first = concurrent::wait(fs, 3.0, FIRST_COMPLETED);
    ASSERT_EQ(first.done.size(), 1u);
    EXPECT_EQ(first.done[0], fs[1]);
    EXPECT_EQ(first.not_done[0].id(), fs[0].id());

    std::vector<remote_future<int>> gs{c().submit(sleep_ms, 1000), c().submit(fail)};
    auto failed = concurrent::wait(gs, 3.0, FIRST_EXCEPTION);
    ASSERT_EQ(failed.done.size(), 1u);
    EXPECT_EQ(failed.done[0], gs[1]);

    auto all = concurrent::wait(fs, 3.0, ALL_COMPLETED);
    EXPECT_EQ(all.done.size(), 2u);
    EXPECT_TRUE(all.not_done.empty());

    std::vector<remote_future<int>> slow{c().submit(sleep_ms, 1000)};
    auto timed_out = concurrent::wait(slow, 0.05, ALL_COMPLETED);
    EXPECT_EQ(timed_out.not_done.size(), 1u);
}

TEST_F(Combinators, AsCompletedYieldsInCompletionOrderAndTimesOut) {
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 300), c().submit(sleep_ms, 10), c().submit(sleep_ms, 150)};
    std::vector<int> order;
    for (remote_future<int> f : concurrent::as_completed(fs, 3.0)) order.push_back(f.get(0.0));
    EXPECT_EQ(order, (std::vector<int>{10, 150, 300}));

    std::vector<remote_future<int>> gs{c().submit(sleep_ms, 10), c().submit(sleep_ms, 2000)};
    std::vector<int> seen;
    EXPECT_THROW(
        {
            for (remote_future<int> f : concurrent::as_completed(gs, 0.3)) seen.push_back(f.get(0.0));
        },
        timeout_error);
    EXPECT_EQ(seen, std::vector<int>{10});
}

TEST_F(Combinators, RemoteAndLocalFuturesMixInTheBlockingCombinators) {
    thread_pool_executor pool(2);
    std::vector<concurrent::future<int>> mixed{
        c().submit(sleep_ms, 200),
        pool.submit([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return -1;
        }),
        c().submit(add, 2, 2)};
    EXPECT_EQ(concurrent::gather(mixed, 3.0), (std::vector<int>{200, -1, 4}));
    std::vector<concurrent::future<int>> again{c().submit(sleep_ms, 300), pool.submit([] { return 5; })};
    auto first = concurrent::wait(again, 3.0, FIRST_COMPLETED);
    ASSERT_EQ(first.done.size(), 1u);
    EXPECT_EQ(first.done[0].result(), 5);
    std::vector<int> order;
    for (auto f : concurrent::as_completed(again, 3.0)) order.push_back(f.result());
    EXPECT_EQ(order, (std::vector<int>{5, 300}));
}

TEST_F(Combinators, MapReturnsResultsInOrder) {
    std::vector<std::tuple<int, int>> items;
    for (int i = 0; i < 50; ++i) items.emplace_back(i, i);
    const auto results = c().map(add, items, 5.0);
    ASSERT_EQ(results.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], 2 * i);
    const std::vector<int> delays{30, 10, 20};
    EXPECT_EQ(c().map(sleep_ms, delays, 3.0), delays);
}

TEST_F(Combinators, MapRevokesWhatItDidNotCollectOnTimeout) {
    const std::vector<int> delays{10, 5000};
    EXPECT_THROW(c().map(sleep_ms, delays, 0.3), timeout_error);
    for (int i = 0; i < 200 && broker_.revokes_seen.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(broker_.revokes_seen.load(), 1);
}

// ---- co_await from a task on another event_loop ----

task<int> await_one(client& c) {
    const int a = co_await c.submit(add, 20, 1);
    const int b = co_await c.submit(sleep_ms, 21);
    co_return a + b;
}

TEST_F(Combinators, ARemoteFutureIsAwaitableFromAnyLoop) {
    event_loop loop;
    EXPECT_EQ(loop.run_until_complete(await_one(c())), 42);
}

task<int> await_failure(client& c) {
    try {
        co_await c.submit(fail);
    } catch (const remote_task_error& e) {
        co_return e.where() == "worker-7" ? 1 : -1;
    }
    co_return 0;
}

TEST_F(Combinators, AFailureRethrowsAtTheCoAwait) {
    event_loop loop;
    EXPECT_EQ(loop.run_until_complete(await_failure(c())), 1);
}

task<std::vector<int>> gather_remote_and_local(client& c, thread_pool_executor& pool) {
    auto& loop = event_loop::current();
    std::vector<future<int>> fs = wrap_futures(std::vector<remote_future<int>>{
        c.submit(sleep_ms, 50), c.submit(add, 1, 1)});
    fs.push_back(wrap_future(pool.submit([] { return 7; }), loop));
    co_return co_await gather(std::move(fs));
}

TEST_F(Combinators, GatherWithCoAwaitMixesRemoteAndLocal) {
    event_loop loop;
    thread_pool_executor pool(1);
    EXPECT_EQ(loop.run_until_complete(gather_remote_and_local(c(), pool)), (std::vector<int>{50, 2, 7}));
}

task<std::vector<int>> wait_and_as_completed(client& c) {
    auto fs = wrap_futures(std::vector<remote_future<int>>{c.submit(sleep_ms, 200), c.submit(sleep_ms, 10)});
    auto first = co_await wait(fs, 3.0, FIRST_COMPLETED);
    std::vector<int> out{static_cast<int>(first.done.size())};
    auto gen = as_completed(fs, 3.0);
    while (auto f = co_await gen.next()) out.push_back(f->result());
    co_return out;
}

TEST_F(Combinators, WaitAndAsCompletedWithCoAwait) {
    event_loop loop;
    EXPECT_EQ(loop.run_until_complete(wait_and_as_completed(c())), (std::vector<int>{1, 10, 200}));
}

task<int> count_ticks_while_waiting(client& c, int& ticks) {
    auto& loop = event_loop::current();
    std::function<void()> tick;
    timer_handle timer;
    tick = [&] {
        ++ticks;
        timer = loop.call_later(0.01, tick);
    };
    tick();
    std::vector<std::tuple<int, int>> items(200, std::make_tuple(1, 2));
    auto fs = wrap_futures(c.submit_many(add, items));
    fs.push_back(wrap_future(c.submit(sleep_ms, 150), loop));
    auto results = co_await gather(std::move(fs));
    timer.cancel();
    int sum = 0;
    for (int r : results) sum += r;
    co_return sum;
}

TEST_F(Combinators, AwaitingNeverBlocksTheLoopThread) {
    event_loop loop;
    int ticks = 0;
    EXPECT_EQ(loop.run_until_complete(count_ticks_while_waiting(c(), ticks)), 200 * 3 + 150);
    EXPECT_GE(ticks, 5);  // the loop kept turning during the 150 ms wait
}

task<int> await_forever(client& c) { co_return co_await c.submit(sleep_ms, 5000); }

TEST_F(Combinators, CancellingTheAwaitingTaskRevokesTheRemoteTask) {
    event_loop loop;
    auto t = loop.create_task(await_forever(c()));
    loop.call_later(0.1, [&] { t.cancel(); });
    EXPECT_THROW(loop.run_until_complete(t), cancelled_error);
    for (int i = 0; i < 200 && broker_.revokes_seen.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(broker_.revokes_seen.load(), 1);
}

}  // namespace
