// shoal::queue, priority_queue, lifo_queue: sizes, nowait errors, back-pressure, blocking
// get, FIFO wake-ups, cancellation passing the wake-up on, task_done/join, producer/consumer.

#include "shoal/common/queue.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "yield_passes.hpp"

namespace {

using log_t = shoal::testing::event_log;
using shoal::testing::settle_passes;
using shoal::testing::yield_passes;

shoal::task<void> put_and_log(shoal::queue<int>& q, log_t& log, int item) {
    co_await q.put(item);
    log.push_back("put " + std::to_string(item));
}

shoal::task<void> get_and_log(shoal::queue<int>& q, log_t& log, std::string name) {
    const int item = co_await q.get();
    log.push_back(name + " got " + std::to_string(item));
}

class QueueTest : public ::testing::Test {
  protected:
    shoal::event_loop loop_;
    log_t log_;
};

TEST_F(QueueTest, NewQueueIsEmptyAndUnboundedByDefault) {
    shoal::queue<int> q;
    EXPECT_EQ(q.maxsize(), 0U);
    EXPECT_EQ(q.qsize(), 0U);
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.full());
}

TEST_F(QueueTest, UnboundedQueueIsNeverFull) {
    shoal::queue<int> q;
    for (int i = 0; i < 1000; ++i) {
        q.put_nowait(i);
    }
    EXPECT_FALSE(q.full());
    EXPECT_EQ(q.qsize(), 1000U);
}

TEST_F(QueueTest, BoundedQueueIsFullAtMaxsize) {
    shoal::queue<int> q(2);
    q.put_nowait(1);
    EXPECT_FALSE(q.full());
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.qsize(), 2U);
}

TEST_F(QueueTest, PutNowaitOnFullQueueThrowsQueueFull) {
    shoal::queue<int> q(1);
    q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(2), shoal::queue_full);
    EXPECT_EQ(q.qsize(), 1U);
}

TEST_F(QueueTest, GetNowaitOnEmptyQueueThrowsQueueEmpty) {
    shoal::queue<int> q;
    EXPECT_THROW((void)q.get_nowait(), shoal::queue_empty);
}

TEST_F(QueueTest, QueueErrorsAreShoalErrors) {
    shoal::queue<int> q(1);
    q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(2), shoal::error);
    (void)q.get_nowait();
    EXPECT_THROW((void)q.get_nowait(), shoal::error);
}

TEST_F(QueueTest, ItemsComeOutInFifoOrder) {
    shoal::queue<int> q;
    for (int i : {3, 1, 2}) {
        q.put_nowait(i);
    }
    EXPECT_EQ(q.get_nowait(), 3);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
}

TEST_F(QueueTest, GetOfAvailableItemDoesNotYieldToTheLoop) {
    shoal::queue<int> q;
    q.put_nowait(7);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu) -> shoal::task<void> {
            bool other_ran = false;
            auto other = loop.create_task([](bool& ran) -> shoal::task<void> {
                ran = true;
                co_return;
            }(other_ran));
            EXPECT_EQ(co_await qu.get(), 7);
            EXPECT_FALSE(other_ran);
            co_await other;
        }(loop_, q));
}

TEST_F(QueueTest, GetBlocksUntilAnItemIsPut) {
    shoal::queue<int> q;
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            auto getter = loop.create_task(get_and_log(qu, log, "getter"));
            co_await yield_passes(settle_passes);
            EXPECT_FALSE(getter.done());
            log.push_back("putting");
            qu.put_nowait(42);
            co_await getter;
            EXPECT_EQ(log, (log_t{"putting", "getter got 42"}));
            EXPECT_TRUE(qu.empty());
        }(loop_, q, log_));
}

TEST_F(QueueTest, PutBlocksOnFullQueueUntilAGetMakesRoom) {
    shoal::queue<int> q(1);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            co_await qu.put(1);
            auto putter = loop.create_task(put_and_log(qu, log, 2));
            co_await yield_passes(settle_passes);
            EXPECT_FALSE(putter.done());
            EXPECT_EQ(qu.qsize(), 1U);
            log.push_back("got " + std::to_string(co_await qu.get()));
            co_await putter;
            EXPECT_EQ(log, (log_t{"got 1", "put 2"}));
            EXPECT_EQ(qu.get_nowait(), 2);
        }(loop_, q, log_));
}

TEST_F(QueueTest, BlockedGettersAreServedInFifoOrder) {
    shoal::queue<int> q;
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            auto a = loop.create_task(get_and_log(qu, log, "a"));
            auto b = loop.create_task(get_and_log(qu, log, "b"));
            auto c = loop.create_task(get_and_log(qu, log, "c"));
            co_await yield_passes(settle_passes);
            for (int i : {1, 2, 3}) {
                qu.put_nowait(i);  // a burst: each put wakes a different getter
            }
            co_await yield_passes(settle_passes);
            EXPECT_EQ(log, (log_t{"a got 1", "b got 2", "c got 3"}));
            for (auto* t : {&a, &b, &c}) {
                t->cancel();
            }
        }(loop_, q, log_));
}

TEST_F(QueueTest, BlockedPuttersAreServedInFifoOrder) {
    shoal::queue<int> q(1);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            qu.put_nowait(0);
            auto a = loop.create_task(put_and_log(qu, log, 1));
            auto b = loop.create_task(put_and_log(qu, log, 2));
            co_await yield_passes(settle_passes);
            std::vector<int> got;
            for (int i = 0; i < 3; ++i) {
                got.push_back(co_await qu.get());
            }
            EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
            EXPECT_EQ(log, (log_t{"put 1", "put 2"}));
            co_await a;
            co_await b;
        }(loop_, q, log_));
}

TEST_F(QueueTest, CancellingAGetterAboutToBeWokenPassesTheItemOn) {
    shoal::queue<int> q;
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            auto first = loop.create_task(get_and_log(qu, log, "first"));
            auto second = loop.create_task(get_and_log(qu, log, "second"));
            co_await yield_passes(settle_passes);
            qu.put_nowait(5);  // wakes `first` ...
            first.cancel();    // ... which is cancelled before it can resume
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(first.cancelled());
            EXPECT_TRUE(second.done()) << "the wake-up was lost with the cancelled getter";
            EXPECT_EQ(log, log_t{"second got 5"});
            second.cancel();
        }(loop_, q, log_));
}

TEST_F(QueueTest, CancellingAPutterAboutToBeWokenPassesTheSlotOn) {
    shoal::queue<int> q(1);
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            qu.put_nowait(0);
            auto first = loop.create_task(put_and_log(qu, log, 1));
            auto second = loop.create_task(put_and_log(qu, log, 2));
            co_await yield_passes(settle_passes);
            (void)qu.get_nowait();  // wakes `first` ...
            first.cancel();         // ... which is cancelled before it can resume
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(first.cancelled());
            EXPECT_TRUE(second.done()) << "the wake-up was lost with the cancelled putter";
            EXPECT_EQ(log, log_t{"put 2"});
            EXPECT_EQ(qu.get_nowait(), 2);
            second.cancel();
        }(loop_, q, log_));
}

TEST_F(QueueTest, CancelledGetterTakesNoItem) {
    shoal::queue<int> q;
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            auto getter = loop.create_task(get_and_log(qu, log, "getter"));
            co_await yield_passes(settle_passes);
            getter.cancel();
            co_await yield_passes(settle_passes);
            EXPECT_TRUE(getter.cancelled());
            qu.put_nowait(9);
            co_await yield_passes(settle_passes);
            EXPECT_EQ(qu.qsize(), 1U);
            EXPECT_TRUE(log.empty());
        }(loop_, q, log_));
}

TEST_F(QueueTest, TaskDoneMoreTimesThanItemsPutThrowsInvalidState) {
    shoal::queue<int> q;
    EXPECT_THROW(q.task_done(), shoal::invalid_state_error);
    q.put_nowait(1);
    (void)q.get_nowait();
    q.task_done();
    EXPECT_THROW(q.task_done(), shoal::invalid_state_error);
}

TEST_F(QueueTest, JoinReturnsAtOnceWhenNothingIsUnfinished) {
    shoal::queue<int> q;
    loop_.run_until_complete([](shoal::queue<int>& qu) -> shoal::task<void> {
        co_await qu.join();
        qu.put_nowait(1);
        (void)qu.get_nowait();
        qu.task_done();
        co_await qu.join();
    }(q));
}

TEST_F(QueueTest, JoinWaitsUntilEveryItemIsMarkedDone) {
    shoal::queue<int> q;
    loop_.run_until_complete([](shoal::event_loop& loop, shoal::queue<int>& qu,
                                log_t& log) -> shoal::task<void> {
        qu.put_nowait(1);
        qu.put_nowait(2);
        auto joiner = loop.create_task([](shoal::queue<int>& qq, log_t& l) -> shoal::task<void> {
            co_await qq.join();
            l.push_back("joined");
        }(qu, log));
        (void)qu.get_nowait();
        (void)qu.get_nowait();
        co_await yield_passes(settle_passes);
        EXPECT_FALSE(joiner.done()) << "join returned while items were unfinished";
        qu.task_done();
        log.push_back("done 1");
        co_await yield_passes(settle_passes);
        EXPECT_FALSE(joiner.done());
        qu.task_done();
        log.push_back("done 2");
        co_await joiner;
        EXPECT_EQ(log, (log_t{"done 1", "done 2", "joined"}));
    }(loop_, q, log_));
}

// The seeds' asyncio producer/consumer example: the producer announces each item, sleeps a
// little, and puts it; a sentinel ends the stream. The consumer logs each item as it takes it.
shoal::task<void> produce(shoal::queue<std::optional<int>>& q, log_t& log, int n) {
    constexpr double work_seconds = 0.001;
    for (int x = 1; x <= n; ++x) {
        log.push_back("producing " + std::to_string(x));
        co_await shoal::sleep(work_seconds);
        co_await q.put(x);
    }
    co_await q.put(std::nullopt);
}

shoal::task<void> consume(shoal::queue<std::optional<int>>& q, log_t& log) {
    while (true) {
        const std::optional<int> item = co_await q.get();
        if (!item) {
            break;
        }
        log.push_back("consuming " + std::to_string(*item));
    }
}

TEST_F(QueueTest, ProducerAndConsumerInterleaveAsInTheAsyncioExample) {
    shoal::queue<std::optional<int>> q;
    loop_.run_until_complete([](shoal::event_loop& loop, shoal::queue<std::optional<int>>& qu,
                                log_t& log) -> shoal::task<void> {
        auto consumer = loop.create_task(consume(qu, log));
        auto producer = loop.create_task(produce(qu, log, 5));
        co_await producer;
        co_await consumer;
    }(loop_, q, log_));
    // Each put wakes the consumer for the next pass, while the producer goes straight on to
    // announce the next item.
    EXPECT_EQ(log_,
              (log_t{"producing 1", "producing 2", "consuming 1", "producing 3", "consuming 2",
                     "producing 4", "consuming 3", "producing 5", "consuming 4", "consuming 5"}));
    EXPECT_TRUE(q.empty());
}

TEST_F(QueueTest, BoundedQueueKeepsAFastProducerOneItemAhead) {
    shoal::queue<int> q(1);
    loop_.run_until_complete([](shoal::event_loop& loop, shoal::queue<int>& qu,
                                log_t& log) -> shoal::task<void> {
        auto producer = loop.create_task([](shoal::queue<int>& qq, log_t& l) -> shoal::task<void> {
            for (int i = 1; i <= 3; ++i) {
                co_await qq.put(i);
                l.push_back("put " + std::to_string(i));
            }
        }(qu, log));
        for (int i = 1; i <= 3; ++i) {
            co_await yield_passes(settle_passes);
            log.push_back("got " + std::to_string(co_await qu.get()));
        }
        co_await producer;
    }(loop_, q, log_));
    EXPECT_EQ(log_, (log_t{"put 1", "got 1", "put 2", "got 2", "put 3", "got 3"}));
}

TEST_F(QueueTest, MoveOnlyItemsPassThrough) {
    shoal::queue<std::unique_ptr<int>> q(1);
    loop_.run_until_complete([](shoal::queue<std::unique_ptr<int>>& qu) -> shoal::task<void> {
        co_await qu.put(std::make_unique<int>(11));
        std::unique_ptr<int> item = co_await qu.get();
        EXPECT_NE(item, nullptr);
        EXPECT_EQ(item ? *item : 0, 11);
    }(q));
}

TEST_F(QueueTest, WaitingFromASecondLoopThrowsEventLoopError) {
    shoal::queue<int> q;
    loop_.run_until_complete(
        [](shoal::event_loop& loop, shoal::queue<int>& qu, log_t& log) -> shoal::task<void> {
            auto getter = loop.create_task(get_and_log(qu, log, "getter"));  // binds the queue
            co_await yield_passes(settle_passes);
            getter.cancel();
            co_await yield_passes(settle_passes);
        }(loop_, q, log_));
    shoal::event_loop other;
    EXPECT_THROW(other.run_until_complete(q.get()), shoal::event_loop_error);
}

TEST(PriorityQueueTest, GetReturnsTheLeastItemFirst) {
    shoal::priority_queue<int> q;
    for (int i : {5, 1, 4, 2, 3}) {
        q.put_nowait(i);
    }
    std::vector<int> got;
    while (!q.empty()) {
        got.push_back(q.get_nowait());
    }
    EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(PriorityQueueTest, CompareDefinesWhichItemIsLeast) {
    shoal::priority_queue<int, std::greater<int>> q;
    for (int i : {2, 3, 1}) {
        q.put_nowait(i);
    }
    EXPECT_EQ(q.get_nowait(), 3);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_EQ(q.get_nowait(), 1);
}

TEST(PriorityQueueTest, BlockedGetterReceivesAnItemPutLater) {
    shoal::event_loop loop;
    shoal::priority_queue<int> q;
    const int item = loop.run_until_complete(
        [](shoal::event_loop& l, shoal::priority_queue<int>& qu) -> shoal::task<int> {
            auto getter = l.create_task(qu.get());
            co_await yield_passes(settle_passes);
            qu.put_nowait(8);
            co_return co_await getter;
        }(loop, q));
    EXPECT_EQ(item, 8);
}

TEST(LifoQueueTest, GetReturnsTheNewestItemFirst) {
    shoal::lifo_queue<int> q(3);
    for (int i : {1, 2, 3}) {
        q.put_nowait(i);
    }
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.get_nowait(), 3);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_EQ(q.get_nowait(), 1);
}

}  // namespace
