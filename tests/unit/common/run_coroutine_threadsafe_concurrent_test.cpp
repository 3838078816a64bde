#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "shoal/common/run_coroutine_threadsafe.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

using shoal::task;

constexpr double result_timeout_seconds = 10.0;

// Runs a loop on its own thread until stop_and_join().
class loop_thread {
  public:
    loop_thread()
        : thread_([this] {
              loop_.call_soon([this] {
                  started_.test_and_set();
                  started_.notify_all();
              });
              loop_.run_forever();
          }) {
        started_.wait(false);
    }
    ~loop_thread() { stop_and_join(); }
    void stop_and_join() {
        if (thread_.joinable()) {
            loop_.call_soon_threadsafe([this] { loop_.stop(); });
            thread_.join();
        }
    }
    shoal::event_loop& loop() { return loop_; }
    std::thread::id id() const { return thread_.get_id(); }

  private:
    shoal::event_loop loop_;
    std::atomic_flag started_;
    std::thread thread_;
};

task<int> add_later(int a, int b) {
    co_await shoal::sleep(0.01);
    co_return a + b;
}

TEST(RunCoroutineThreadsafe, ReturnsTheResultToTheCallingThread) {
    loop_thread lt;
    auto f = shoal::run_coroutine_threadsafe(add_later(2, 3), lt.loop());
    EXPECT_EQ(f.result(result_timeout_seconds), 5);
}

TEST(RunCoroutineThreadsafe, TheCoroutineRunsOnTheLoopThread) {
    loop_thread lt;
    auto f = shoal::run_coroutine_threadsafe(
        []() -> task<std::thread::id> { co_return std::this_thread::get_id(); }(), lt.loop());
    EXPECT_EQ(f.result(result_timeout_seconds), lt.id());
}

TEST(RunCoroutineThreadsafe, ExceptionTravelsWithItsType) {
    loop_thread lt;
    auto f = shoal::run_coroutine_threadsafe(
        []() -> task<int> {
            co_await shoal::sleep(0);
            throw std::invalid_argument("bad input");
        }(),
        lt.loop());
    EXPECT_THROW(f.result(result_timeout_seconds), std::invalid_argument);
}

TEST(RunCoroutineThreadsafe, CancellingTheConcurrentFutureCancelsTheTask) {
    loop_thread lt;
    std::atomic<bool> saw_cancel{false};
    std::atomic<bool> started{false};
    auto f = shoal::run_coroutine_threadsafe(
        [](std::atomic<bool>& s, std::atomic<bool>& c) -> task<int> {
            s = true;
            s.notify_all();
            try {
                co_await shoal::sleep(30);
            } catch (const shoal::cancelled_error&) {
                c = true;
                c.notify_all();
                throw;
            }
            co_return 0;
        }(started, saw_cancel),
        lt.loop());
    started.wait(false);
    EXPECT_TRUE(f.cancel());
    saw_cancel.wait(false);
    EXPECT_TRUE(saw_cancel.load());
    EXPECT_TRUE(f.cancelled());
}

TEST(RunCoroutineThreadsafe, ManyThreadsSubmitConcurrently) {
    loop_thread lt;
    constexpr int threads = 4;
    constexpr int per_thread = 200;
    std::atomic<int> sum{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                sum += shoal::run_coroutine_threadsafe(add_later(i, 1), lt.loop())
                           .result(result_timeout_seconds);
            }
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(sum.load(), threads * (per_thread * (per_thread - 1) / 2 + per_thread));
}

}  // namespace
