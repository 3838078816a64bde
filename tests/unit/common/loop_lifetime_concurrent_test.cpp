// Every door from another thread into an event loop, used after the loop is gone: a late
// completion, cancel or release must be a no-op, never a call into freed memory. Each loop is
// on the heap so that ASan reports a late touch as heap-use-after-free; the futures and pools
// are declared before it and outlive it.
//
// Doors: wrap_future (a concurrent future completing, or dropped unsettled), co_await on a
// pool's future from a task, run_in_executor with the caller's executor,
// run_coroutine_threadsafe (its future cancelled later, or its loop closing first), and
// loop_ref::call_soon_threadsafe.
#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "process/wait_until.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/run_coroutine_threadsafe.hpp"
#include "shoal/common/run_in_executor.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/common/wrap_future.hpp"
#include "yield_passes.hpp"

namespace {

using namespace shoal;
using shoal::testing::wait_until;

constexpr double deadline_s = 10.0;

// A loop whose "Task was destroyed but it is pending" reports stay out of the test's output.
std::unique_ptr<event_loop> quiet_loop() {
    auto loop = std::make_unique<event_loop>();
    loop->set_exception_handler([](event_loop&, const exception_context&) {});
    return loop;
}

// A call for a pool that returns `value` once `gate` opens.
auto held_call(std::shared_future<void> gate, int value) {
    return [gate, value] {
        gate.wait();
        return value;
    };
}

TEST(LoopLifetime, AWrappedFutureSettledAfterItsLoopIsDestroyedIsIgnored) {
    auto source = concurrent::make_future<int>();
    auto loop = quiet_loop();
    future<int> wrapped = wrap_future(source, *loop);
    EXPECT_FALSE(wrapped.done());
    wrapped = future<int>();
    loop.reset();
    source.set_result(7);  // its done-callback reaches for the loop
    EXPECT_EQ(source.result(0.0), 7);
}

TEST(LoopLifetime, AWrappedFutureDroppedUnsettledAfterItsLoopIsDestroyedIsIgnored) {
    auto source = std::make_unique<concurrent::future<int>>(concurrent::make_future<int>());
    auto loop = quiet_loop();
    (void)wrap_future(*source, *loop);
    loop.reset();
    // The last handle goes: the callback, and the loop reference it holds, are destroyed on
    // a thread that runs no loop.
    std::thread([s = std::move(source)]() mutable { s.reset(); }).join();
}

task<int> await_pool(thread_pool_executor& pool, std::shared_future<void> gate,
                     std::atomic<bool>& waiting) {
    auto f = pool.submit(held_call(std::move(gate), 5));
    waiting = true;
    co_return co_await f;
}

TEST(LoopLifetime, APoolFutureAwaitedByATaskFinishingAfterTheLoopIsDestroyedIsIgnored) {
    thread_pool_executor pool(1);
    std::promise<void> gate;
    std::atomic<bool> waiting{false};
    auto loop = quiet_loop();
    future<int> t = loop->create_task(await_pool(pool, gate.get_future().share(), waiting));
    loop->run_until_complete(shoal::testing::yield_passes(shoal::testing::settle_passes));
    ASSERT_TRUE(waiting.load());
    ASSERT_FALSE(t.done());
    t = future<int>();
    loop.reset();  // the task is destroyed pending
    gate.set_value();
    pool.shutdown(true);  // the call returned and its done-callbacks ran
}

TEST(LoopLifetime, RunInExecutorOnTheCallersPoolFinishingAfterTheLoopIsDestroyedIsIgnored) {
    thread_pool_executor pool(1);
    std::promise<void> gate;
    auto loop = quiet_loop();
    {
        auto f = loop->run_in_executor(&pool, held_call(gate.get_future().share(), 3));
        EXPECT_FALSE(f.done());
    }
    loop.reset();
    gate.set_value();
    pool.shutdown(true);
}

// Runs a loop on its own thread until stop_and_join(); the loop is destroyed by the test.
class loop_thread {
  public:
    loop_thread() : loop_(quiet_loop()), thread_([this] { loop_->run_forever(); }) {}
    ~loop_thread() { stop_and_join(); }
    void stop_and_join() {
        if (thread_.joinable()) {
            loop_->call_soon_threadsafe([this] { loop_->stop(); });
            thread_.join();
        }
    }
    event_loop& loop() { return *loop_; }
    void destroy_loop() {
        stop_and_join();
        loop_.reset();
    }

  private:
    std::unique_ptr<event_loop> loop_;
    std::thread thread_;
};

task<int> wait_forever(std::atomic<bool>& started) {
    started = true;
    co_await sleep(3600.0);
    co_return 1;
}

TEST(LoopLifetime, RunCoroutineThreadsafeCancelledAfterItsLoopIsDestroyedIsIgnored) {
    std::atomic<bool> started{false};
    loop_thread lt;
    auto result = run_coroutine_threadsafe(wait_forever(started), lt.loop());
    ASSERT_TRUE(wait_until([&] { return started.load(); }, deadline_s));
    lt.destroy_loop();
    result.cancel();  // its done-callback forwards the cancel to the loop
}

TEST(LoopLifetime, RunCoroutineThreadsafeFailsWhenItsLoopClosesFirst) {
    std::atomic<bool> started{false};
    loop_thread lt;
    auto result = run_coroutine_threadsafe(wait_forever(started), lt.loop());
    ASSERT_TRUE(wait_until([&] { return started.load(); }, deadline_s));
    lt.destroy_loop();
    EXPECT_THROW(result.result(deadline_s), event_loop_error);
}

TEST(LoopLifetime, RunCoroutineThreadsafeQueuedButNeverRunFailsWhenItsLoopCloses) {
    std::atomic<bool> started{false};
    auto loop = quiet_loop();  // never runs
    auto result = run_coroutine_threadsafe(wait_forever(started), *loop);
    loop.reset();
    EXPECT_FALSE(started.load());
    EXPECT_THROW(result.result(deadline_s), event_loop_error);
}

TEST(LoopLifetime, ALoopRefRefusesCallbacksOnceItsLoopIsClosedOrDestroyed) {
    auto loop = quiet_loop();
    loop_ref ref = loop->threadsafe_ref();
    EXPECT_FALSE(ref.is_closed());
    std::atomic<int> ran{0};
    std::thread([ref, &ran] { EXPECT_TRUE(ref.call_soon_threadsafe([&ran] { ++ran; })); }).join();
    loop->run_until_complete(shoal::testing::yield_passes(1));
    EXPECT_EQ(ran.load(), 1);

    loop->close();
    EXPECT_TRUE(ref.is_closed());
    EXPECT_FALSE(ref.call_soon_threadsafe([&ran] { ++ran; }));
    loop.reset();
    std::thread([ref, &ran] { EXPECT_FALSE(ref.call_soon_threadsafe([&ran] { ++ran; })); }).join();
    EXPECT_TRUE(ref.is_closed());
    EXPECT_EQ(ran.load(), 1);
    EXPECT_TRUE(loop_ref().is_closed());  // refers to no loop
}

}  // namespace
