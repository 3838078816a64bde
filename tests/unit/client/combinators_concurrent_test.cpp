// gather / wait / as_completed over remote futures, alone and mixed with local pool futures,
// blocking and with co_await from a task on the test's own event_loop; map. A task that must
// still be running, or finish after another, is `held` by the fake broker until the test
// releases it: which finishes first is never a race between delays.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
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
using shoal::testing::reply_deadline_s;
using shoal::testing::wait_until;

inline constexpr task_def<int(int, int)> add{"add"};
inline constexpr task_def<int(int)> sleep_ms{"sleep_ms"};  // returns its argument after it
inline constexpr task_def<int(int)> held{"held"};          // returns it once released
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
    std::vector<remote_future<int>> fs{c().submit(sleep_ms, 60), c().submit(add, 1, 2),
                                       c().submit(sleep_ms, 20)};
    EXPECT_EQ(concurrent::gather(fs, reply_deadline_s), (std::vector<int>{60, 3, 20}));
}

TEST_F(Combinators, GatherFailsFastWithTheFailure) {
    // The first is never released: gather must not wait for it (nor for its timeout).
    std::vector<remote_future<int>> fs{c().submit(held, 2000), c().submit(fail)};
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(concurrent::gather(fs, reply_deadline_s), remote_task_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Combinators, GatherTimesOutWithoutCancellingAnything) {
    std::vector<remote_future<int>> fs{c().submit(held, 1000), c().submit(add, 1, 1)};
    EXPECT_THROW(concurrent::gather(fs, 0.1), timeout_error);
    EXPECT_FALSE(fs[0].done());
    EXPECT_FALSE(fs[0].cancelled());
}

TEST_F(Combinators, WaitHonoursItsThreeModes) {
    std::vector<remote_future<int>> fs{c().submit(held, 1000), c().submit(sleep_ms, 10)};
    auto first = concurrent::wait(fs, reply_deadline_s, FIRST_COMPLETED);
    ASSERT_EQ(first.done.size(), 1u);
    EXPECT_EQ(first.done[0], fs[1]);
    EXPECT_EQ(first.not_done[0].id(), fs[0].id());

    std::vector<remote_future<int>> gs{c().submit(held, 1000), c().submit(fail)};
    auto failed = concurrent::wait(gs, reply_deadline_s, FIRST_EXCEPTION);
    ASSERT_EQ(failed.done.size(), 1u);
    EXPECT_EQ(failed.done[0], gs[1]);

    broker_.release(fs[0].id());
    auto all = concurrent::wait(fs, reply_deadline_s, ALL_COMPLETED);
    EXPECT_EQ(all.done.size(), 2u);
    EXPECT_TRUE(all.not_done.empty());

    std::vector<remote_future<int>> slow{c().submit(held, 1000)};
    auto timed_out = concurrent::wait(slow, 0.05, ALL_COMPLETED);
    EXPECT_EQ(timed_out.not_done.size(), 1u);
}

TEST_F(Combinators, AsCompletedYieldsInCompletionOrderAndTimesOut) {
    // Each is released once the one before it was yielded: they complete in the order of
    // their values, not in input order.
    std::vector<remote_future<int>> fs{c().submit(held, 300), c().submit(held, 10),
                                       c().submit(held, 150)};
    const std::vector<proto::task_id> release_order{fs[1].id(), fs[2].id(), fs[0].id()};
    broker_.release(release_order[0]);
    std::vector<int> order;
    for (remote_future<int> f : concurrent::as_completed(fs, reply_deadline_s)) {
        order.push_back(f.get(0.0));
        if (order.size() < release_order.size()) broker_.release(release_order[order.size()]);
    }
    EXPECT_EQ(order, (std::vector<int>{10, 150, 300}));

    // The first done before as_completed starts: its 0.3 s go to waiting for the held one.
    std::vector<remote_future<int>> gs{c().submit(sleep_ms, 10), c().submit(held, 2000)};
    ASSERT_TRUE(gs[0].wait(reply_deadline_s));
    std::vector<int> seen;
    EXPECT_THROW(
        {
            for (remote_future<int> f : concurrent::as_completed(gs, 0.3))
                seen.push_back(f.get(0.0));
        },
        timeout_error);
    EXPECT_EQ(seen, std::vector<int>{10});
}

TEST_F(Combinators, RemoteAndLocalFuturesMixInTheBlockingCombinators) {
    thread_pool_executor pool(2);
    std::vector<concurrent::future<int>> mixed{
        c().submit(sleep_ms, 200), pool.submit([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return -1;
        }),
        c().submit(add, 2, 2)};
    EXPECT_EQ(concurrent::gather(mixed, reply_deadline_s), (std::vector<int>{200, -1, 4}));
    // The remote one is released once the local one was yielded.
    const auto slow = c().submit(held, 300);
    std::vector<concurrent::future<int>> again{slow, pool.submit([] { return 5; })};
    auto first = concurrent::wait(again, reply_deadline_s, FIRST_COMPLETED);
    ASSERT_EQ(first.done.size(), 1u);
    EXPECT_EQ(first.done[0].result(), 5);
    std::vector<int> order;
    for (auto f : concurrent::as_completed(again, reply_deadline_s)) {
        order.push_back(f.result());
        if (order.size() == 1) broker_.release(slow.id());
    }
    EXPECT_EQ(order, (std::vector<int>{5, 300}));
}

TEST_F(Combinators, MapReturnsResultsInOrder) {
    std::vector<std::tuple<int, int>> items;
    for (int i = 0; i < 50; ++i) items.emplace_back(i, i);
    const auto results = c().map(add, items, reply_deadline_s);
    ASSERT_EQ(results.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], 2 * i);
    const std::vector<int> delays{30, 10, 20};
    EXPECT_EQ(c().map(sleep_ms, delays, reply_deadline_s), delays);
}

TEST_F(Combinators, MapRevokesWhatItDidNotCollectOnTimeout) {
    // The first is collected, the second never is: the timeout is long enough for a busy
    // machine to bring back a 10 ms task (it passes in full either way).
    const std::vector<int> delays{10, 60'000};
    EXPECT_THROW(c().map(sleep_ms, delays, 2.0), timeout_error);
    EXPECT_TRUE(wait_until([&] { return broker_.revokes_seen.load() > 0; }, reply_deadline_s));
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
    std::vector<future<int>> fs =
        wrap_futures(std::vector<remote_future<int>>{c.submit(sleep_ms, 50), c.submit(add, 1, 1)});
    fs.push_back(wrap_future(pool.submit([] { return 7; }), loop));
    co_return co_await gather(std::move(fs));
}

TEST_F(Combinators, GatherWithCoAwaitMixesRemoteAndLocal) {
    event_loop loop;
    thread_pool_executor pool(1);
    EXPECT_EQ(loop.run_until_complete(gather_remote_and_local(c(), pool)),
              (std::vector<int>{50, 2, 7}));
}

task<std::vector<int>> wait_and_as_completed(client& c, fake_broker& broker) {
    const auto slow = c.submit(held, 200);  // released once the other was yielded
    auto fs = wrap_futures(std::vector<remote_future<int>>{slow, c.submit(sleep_ms, 10)});
    auto first = co_await wait(fs, reply_deadline_s, FIRST_COMPLETED);
    std::vector<int> out{static_cast<int>(first.done.size())};
    auto gen = as_completed(fs, reply_deadline_s);
    while (auto f = co_await gen.next()) {
        out.push_back(f->result());
        if (out.size() == 2) broker.release(slow.id());
    }
    co_return out;
}

TEST_F(Combinators, CoAwaitedWaitReturnsTheFirstDoneAndAsCompletedYieldsInCompletionOrder) {
    event_loop loop;
    EXPECT_EQ(loop.run_until_complete(wait_and_as_completed(c(), broker_)),
              (std::vector<int>{1, 10, 200}));
}

task<int> count_ticks_while_waiting(client& c, fake_broker& broker, int& ticks) {
    auto& loop = event_loop::current();
    std::vector<std::tuple<int, int>> items(200, std::make_tuple(1, 2));
    auto fs = wrap_futures(c.submit_many(add, items));
    // Released at the loop's fifth tick: only a loop that turns while it awaits gets the
    // result before the broker gives it up (held_at_most_s), with fewer ticks.
    const auto slow = c.submit(held, 150);
    fs.push_back(wrap_future(slow, loop));
    std::function<void()> tick;
    timer_handle timer;
    tick = [&] {
        if (++ticks == 5) broker.release(slow.id());
        timer = loop.call_later(0.01, tick);
    };
    tick();
    auto results = co_await gather(std::move(fs));
    timer.cancel();
    int sum = 0;
    for (int r : results) sum += r;
    co_return sum;
}

TEST_F(Combinators, AwaitingNeverBlocksTheLoopThread) {
    event_loop loop;
    int ticks = 0;
    EXPECT_EQ(loop.run_until_complete(count_ticks_while_waiting(c(), broker_, ticks)),
              200 * 3 + 150);
    EXPECT_GE(ticks, 5);  // the loop kept turning during the wait
}

task<int> await_forever(client& c) { co_return co_await c.submit(held, 5000); }

TEST_F(Combinators, CancellingTheAwaitingTaskRevokesTheRemoteTask) {
    event_loop loop;
    auto t = loop.create_task(await_forever(c()));
    loop.call_later(0.1, [&] { t.cancel(); });
    EXPECT_THROW(loop.run_until_complete(t), cancelled_error);
    EXPECT_TRUE(wait_until([&] { return broker_.revokes_seen.load() > 0; }, reply_deadline_s));
    EXPECT_EQ(broker_.revokes_seen.load(), 1);
}

}  // namespace
