// CANCEL and time limits: a running coroutine is cancelled, a task not started is dropped
// (both reported revoked); time_limit_ms fails a loop task (cancelled), a thread task (failed
// at once, its slot kept until the thread returns) and a process task (the pool kills the
// child), all as shoal::time_limit_exceeded.
#include <chrono>
#include <thread>

#include "fake_broker.hpp"
#include "shoal/common/sleep.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<double(double)> nap{"nap"};
constexpr shoal::task_def<double(double)> block{"block"};
constexpr shoal::task_def<double(double)> block_in_child{"block_in_child"};
// Run until the test opens the gate: on the loop, and on a thread (which ignores its limit).
constexpr shoal::task_def<bool()> gated{"gated"};
constexpr shoal::task_def<bool()> gated_thread{"gated_thread"};

task_gate gate;

void define_tasks(shoal::task_registry& r) {
    r.define(
        nap,
        [](double s) -> shoal::task<double> {
            co_await shoal::sleep(s);
            co_return s;
        },
        run_on::loop);
    r.define(
        gated, []() -> shoal::task<bool> { co_return co_await opened(gate); }, run_on::loop);
    r.define(
        gated_thread, [] { return gate.wait(); }, run_on::thread_pool);
    r.define(
        block,
        [](double s) {
            std::this_thread::sleep_for(std::chrono::duration<double>(s));
            return s;
        },
        run_on::thread_pool);
    r.define(
        block_in_child,
        [](double s) {
            std::this_thread::sleep_for(std::chrono::duration<double>(s));
            return s;
        },
        run_on::process_pool);
}

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

shoal::proto::dispatched_task limited(shoal::proto::dispatched_task t, std::uint64_t ms) {
    t.options.time_limit_ms = ms;
    return t;
}

class WorkerCancelTest : public ::testing::Test {
  protected:
    void SetUp() override { gate.close(); }
    // Before the worker goes: a gated thread would hold up its destruction.
    void TearDown() override { gate.open(); }

    void start(std::uint32_t slots, std::uint32_t prefetch) {
        worker_ =
            std::make_unique<worker_thread>(test_options(broker_, slots, prefetch), define_tasks);
        ASSERT_TRUE(broker_.handshake());
        auto ready = broker_.expect<shoal::proto::ready>();
        ASSERT_TRUE(ready);
        credit_ = ready->credit;
    }

    fake_broker broker_;
    std::unique_ptr<worker_thread> worker_;
    std::uint32_t credit_ = 0;
};

TEST_F(WorkerCancelTest, CancelARunningCoroutineReportsRevoked) {
    start(2, 0);
    auto t = make_task("nap", 60.0);
    broker_.send(dispatch_of({t}));
    // Running, not merely held: a CANCEL read with the DISPATCH would find it not started.
    ASSERT_TRUE(broker_.wait_started(t.id));
    const auto sent = steady::now();
    broker_.send(shoal::proto::cancel{{t.id}});
    auto done = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->finished.size(), 1u);
    EXPECT_EQ(done->finished[0].result.id, t.id);
    EXPECT_EQ(done->finished[0].result.status, task_status::revoked);
    EXPECT_LT(seconds_since(sent), 10.0);  // at once, not after its 60 s nap
    EXPECT_EQ(done->credit, 1u);
}

TEST_F(WorkerCancelTest, CancelATaskNotStartedDropsIt) {
    start(1, 1);
    // The running task holds the only slot until the gate opens: the waiting one cannot
    // start before the CANCEL is read, however slowly the worker reads it.
    auto running = make_task("gated");
    auto waiting = make_task("nap", 0.3);
    broker_.send(dispatch_of({running, waiting}));
    broker_.send(shoal::proto::cancel{{waiting.id}});
    auto first = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->finished.size(), 1u);
    EXPECT_EQ(first->finished[0].result.id, waiting.id);
    EXPECT_EQ(first->finished[0].result.status, task_status::revoked);
    gate.open();
    auto second = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->finished[0].result.id, running.id);
    EXPECT_EQ(second->finished[0].result.status, task_status::ok);
}

TEST_F(WorkerCancelTest, CancelOfATaskItDoesNotHoldChangesNothing) {
    start(1, 0);
    broker_.send(shoal::proto::cancel{{shoal::proto::task_id::random()}});
    auto t = make_task("nap", 0.0);
    broker_.send(dispatch_of({t}));
    auto done = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.status, task_status::ok);
}

TEST_F(WorkerCancelTest, ALoopTaskPastItsTimeLimitFails) {
    start(1, 0);
    const auto sent = steady::now();
    auto t = limited(make_task("nap", 60.0), 50);
    broker_.send(dispatch_of({t}));
    auto done = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.status, task_status::failed);
    EXPECT_EQ(done->finished[0].result.error.type, "shoal::time_limit_exceeded");
    EXPECT_LT(seconds_since(sent), 10.0);  // at its limit, not after its 60 s nap
    EXPECT_EQ(done->credit, 1u);
}

TEST_F(WorkerCancelTest, AThreadTaskPastItsTimeLimitFailsAtOnceAndKeepsItsSlotUntilItReturns) {
    start(1, 0);
    // The thread returns only when the test opens the gate: the failure must come while it
    // still runs (at once), and the slot only after it returned.
    auto t = limited(make_task("gated_thread"), 50);
    broker_.send(dispatch_of({t}));
    auto done = broker_.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.status, task_status::failed);
    EXPECT_EQ(done->finished[0].result.error.type, "shoal::time_limit_exceeded");
    EXPECT_EQ(done->credit, 0u);  // the thread still runs
    EXPECT_FALSE(broker_.next(0.2)) << "the slot came back while its thread still ran";
    gate.open();
    auto ready = broker_.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 1u);
}

TEST_F(WorkerCancelTest, AProcessTaskPastItsTimeLimitIsKilled) {
    start(1, 0);
    const auto sent = steady::now();
    auto t = limited(make_task("block_in_child", 30.0), 100);
    broker_.send(dispatch_of({t}));
    auto done = broker_.expect<shoal::proto::done>(20.0);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.status, task_status::failed);
    EXPECT_EQ(done->finished[0].result.error.type, "shoal::time_limit_exceeded");
    EXPECT_LT(seconds_since(sent), 20.0);  // killed at its limit, not after its 30 s
    EXPECT_EQ(done->credit, 1u);
}

TEST_F(WorkerCancelTest, ATaskWithinItsTimeLimitSucceeds) {
    start(2, 0);
    // Limits far above what the tasks take, however busy the machine.
    auto on_loop = limited(make_task("nap", 0.01), 30'000);
    auto on_thread = limited(make_task("block", 0.01), 30'000);
    broker_.send(dispatch_of({on_loop, on_thread}));
    auto got = collect(broker_, 2);
    ASSERT_EQ(got.by_id.size(), 2u);
    EXPECT_EQ(got.by_id[on_loop.id].result.status, task_status::ok);
    EXPECT_EQ(got.by_id[on_thread.id].result.status, task_status::ok);
}

}  // namespace
