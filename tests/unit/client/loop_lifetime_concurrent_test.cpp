// Remote futures and event loops: a remote future awaited on a loop (co_await, wrap_future,
// wait(FIRST_COMPLETED)) whose answer arrives after the loop is destroyed must not call into
// the freed loop (LoopLifetime.*); a blocking get() on a thread that runs a loop fails at once
// instead of stalling the loop (BlockingInLoop.*). Each loop is on the heap so that ASan
// reports a late touch as heap-use-after-free. Which task is still running is the test's
// choice: `held` tasks finish when the test releases them.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/combinators.hpp"
#include "shoal/common/run_in_executor.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/wait.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;
using shoal::testing::reply_deadline_s;
using shoal::testing::wait_until;

inline constexpr task_def<int(int)> held{"held"};  // returns its argument once released

std::unique_ptr<event_loop> quiet_loop() {
    auto loop = std::make_unique<event_loop>();
    loop->set_exception_handler([](event_loop&, const exception_context&) {});
    return loop;
}

class LoopLifetime : public ::testing::Test {
  protected:
    LoopLifetime() {
        broker_.serve();
        client_.emplace(broker_.endpoint(), quick_options());
    }
    client& c() { return *client_; }

    // Releases `f` and waits until every done-callback registered on it so far has run (they
    // run in order on the client's I/O thread, so one added last that runs means all did).
    void release_and_wait_for_callbacks(const remote_future<int>& f) {
        std::atomic<bool> ran{false};
        f.add_done_callback([&ran](const remote_future<int>&) { ran = true; });
        broker_.release(f.id());
        ASSERT_TRUE(wait_until([&] { return ran.load(); }, reply_deadline_s));
    }

    fake_broker broker_;
    std::optional<client> client_;
};

task<int> await_remote(remote_future<int> f, std::atomic<bool>& waiting) {
    waiting = true;
    co_return co_await f;
}

TEST_F(LoopLifetime, ARemoteFutureAwaitedByATaskAnsweredAfterTheLoopIsDestroyedIsIgnored) {
    const auto f = c().submit(held, 1);
    std::atomic<bool> waiting{false};
    auto loop = quiet_loop();
    (void)loop->create_task(await_remote(f, waiting));
    loop->run_until_complete([]() -> task<void> { co_await shoal::sleep(0); }());
    ASSERT_TRUE(waiting.load());
    loop.reset();  // the awaiting task is destroyed pending
    release_and_wait_for_callbacks(f);
    EXPECT_EQ(f.get(reply_deadline_s), 1);
}

TEST_F(LoopLifetime, AWrappedRemoteFutureAnsweredAfterTheLoopIsDestroyedIsIgnored) {
    const auto f = c().submit(held, 2);
    auto loop = quiet_loop();
    (void)wrap_future(f, *loop);
    loop.reset();
    release_and_wait_for_callbacks(f);
}

task<std::size_t> first_of(std::vector<remote_future<int>> fs) {
    auto [done, pending] = co_await wait(wrap_futures(fs), reply_deadline_s, FIRST_COMPLETED);
    co_return done.size();
}

TEST_F(LoopLifetime, WaitFirstCompletedLeavesNothingThatOutlivesTheLoop) {
    const auto fast = c().submit(held, 3);
    const auto slow = c().submit(held, 4);
    broker_.release(fast.id());
    auto loop = quiet_loop();
    EXPECT_EQ(loop->run_until_complete(first_of({fast, slow})), 1u);
    loop.reset();  // `slow` still has the wrap's done-callback
    release_and_wait_for_callbacks(slow);
}

// ---- a blocking wait on a loop's thread ----

class BlockingInLoop : public LoopLifetime {};

task<std::string> get_inside_a_task(remote_future<int> f) {
    try {
        (void)f.get(reply_deadline_s);  // would stall the loop until the answer came
        co_return "returned";
    } catch (const event_loop_error& e) {
        co_return e.what();
    }
}

TEST_F(BlockingInLoop, GetOnAPendingRemoteFutureInsideALoopTaskFailsAtOnce) {
    const auto f = c().submit(held, 5);
    auto loop = quiet_loop();
    const std::string message = loop->run_until_complete(get_inside_a_task(f));
    EXPECT_NE(message.find("co_await"), std::string::npos) << message;
    EXPECT_NE(message.find("run_in_executor"), std::string::npos) << message;
    EXPECT_FALSE(f.done());  // it failed at once: the answer was never released
}

task<int> get_once_done(remote_future<int> f) {
    co_await f;
    co_return f.get();  // done: returns at once, so allowed
}

TEST_F(BlockingInLoop, GetOnADoneRemoteFutureInsideALoopTaskReturns) {
    const auto f = c().submit(held, 6);
    broker_.release(f.id());
    auto loop = quiet_loop();
    EXPECT_EQ(loop->run_until_complete(get_once_done(f)), 6);
}

task<int> get_in_the_default_executor(remote_future<int> f) {
    // The way out the error names: block on a pool thread, await that from the task.
    // (Built outside the co_await expression: GCC 12 loses a copy of a coroutine parameter
    // captured by a lambda written inside one.)
    auto blocking_get = [f] { return f.get(reply_deadline_s); };
    auto pending = event_loop::current().run_in_executor(nullptr, std::move(blocking_get));
    co_return co_await pending;
}

TEST_F(BlockingInLoop, GetFromAThreadPoolTaskStillBlocksUntilTheAnswer) {
    const auto f = c().submit(held, 7);
    auto loop = quiet_loop();
    auto t = loop->create_task(get_in_the_default_executor(f));
    loop->call_later(0.05, [this, f] { broker_.release(f.id()); });
    EXPECT_EQ(loop->run_until_complete(t), 7);
}

}  // namespace
