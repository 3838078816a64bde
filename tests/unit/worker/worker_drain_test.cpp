// Draining: stop() or SIGTERM makes the worker take no more work and hand back what it holds
// without having started it (DRAIN), finish what runs, report it, say BYE and return 0 from
// run(); the grace period bounds the wait (run() returns 1 and the unfinished task is left to
// the broker). Tests wait for the worker's STARTED, never for a time.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>

#include "fake_broker.hpp"
#include "shoal/common/sleep.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<double(double)> nap{"nap"};
// Runs until the test opens the gate: a task that is still running when the drain begins,
// however slowly the worker reads the stop (a short nap could end first on a busy machine).
constexpr shoal::task_def<bool()> gated{"gated"};

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
}

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

// After a drain started: DRAIN handing back `unstarted`; then the gate opens and the running
// (gated) tasks' results come, then BYE.
void expect_drain(fake_broker& broker, const std::vector<shoal::proto::task_id>& running,
                  const std::vector<shoal::proto::task_id>& unstarted = {}) {
    auto drain = broker.expect<shoal::proto::drain>();
    ASSERT_TRUE(drain);
    std::vector<shoal::proto::task_id> returned;
    for (const auto& t : drain->returned) returned.push_back(t.id);
    std::sort(returned.begin(), returned.end());
    auto expected = unstarted;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(returned, expected);
    gate.open();
    std::size_t reported = 0;
    while (reported < running.size()) {
        auto done = broker.expect<shoal::proto::done>();
        ASSERT_TRUE(done);
        for (const auto& f : done->finished) {
            EXPECT_EQ(f.result.status, task_status::ok);
            EXPECT_NE(std::find(running.begin(), running.end(), f.result.id), running.end());
        }
        reported += done->finished.size();
        EXPECT_EQ(done->credit, 0u);  // draining: no credit, ever
    }
    EXPECT_TRUE(broker.expect<shoal::proto::bye>());
}

TEST(WorkerDrain, StopFinishesHeldTasksThenSaysByeAndReturnsZero) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 2), define_tasks);
    gate_scope held(gate);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    auto a = make_task("gated");
    auto b = make_task("nap", 0.05);
    auto c = make_task("nap", 0.05);
    broker.send(dispatch_of({a, b, c}));  // one runs, two wait
    ASSERT_TRUE(broker.wait_started(a.id));
    w.worker().stop();
    // The two that waited go back to the broker (another worker runs them now); a finishes.
    expect_drain(broker, {a.id}, {b.id, c.id});
    EXPECT_EQ(w.wait(5.0), 0);
}

TEST(WorkerDrain, ADispatchThatCrossesTheDrainGoesStraightBack) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 2), define_tasks);
    gate_scope held(gate);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    auto a = make_task("gated");  // still running when the late DISPATCH comes
    broker.send(dispatch_of({a}));
    ASSERT_TRUE(broker.wait_started(a.id));
    w.worker().stop();
    auto drain = broker.expect<shoal::proto::drain>();
    ASSERT_TRUE(drain);
    EXPECT_TRUE(drain->returned.empty());
    // Sent by a broker that had not read the DRAIN yet: handed back, never run.
    auto late = make_task("nap", 0.01);
    broker.send(dispatch_of({late}));
    auto back = broker.expect<shoal::proto::drain>();
    ASSERT_TRUE(back);
    ASSERT_EQ(back->returned.size(), 1u);
    EXPECT_EQ(back->returned[0].id, late.id);
    gate.open();
    auto done = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->finished.size(), 1u);
    EXPECT_EQ(done->finished[0].result.id, a.id);
    EXPECT_TRUE(broker.expect<shoal::proto::bye>());
    EXPECT_EQ(w.wait(5.0), 0);
}

TEST(WorkerDrain, SigtermDrainsLikeStop) {
    fake_broker broker;
    auto options = test_options(broker, 2, 0);
    options.handle_signals = true;
    worker_thread w(options, define_tasks);
    gate_scope held(gate);
    ASSERT_TRUE(broker.handshake());  // run() has blocked SIGTERM on its thread by now
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    auto t = make_task("gated");
    broker.send(dispatch_of({t}));
    ASSERT_TRUE(broker.wait_started(t.id));
    // Thread-directed, to the worker's thread: the test's other threads do not block it.
    ASSERT_EQ(::pthread_kill(w.native_handle(), SIGTERM), 0);
    expect_drain(broker, {t.id});
    EXPECT_EQ(w.wait(5.0), 0);
}

TEST(WorkerDrain, TheGracePeriodBoundsTheDrain) {
    fake_broker broker;
    auto options = test_options(broker, 1, 0);
    options.grace_seconds = 0.2;
    worker_thread w(options, define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    const auto long_nap = make_task("nap", 30.0);
    broker.send(dispatch_of({long_nap}));
    ASSERT_TRUE(broker.wait_started(long_nap.id));
    const auto asked = steady::now();
    w.worker().stop();
    auto drain = broker.expect<shoal::proto::drain>();
    ASSERT_TRUE(drain);
    EXPECT_TRUE(drain->returned.empty());             // it started: not the worker's to hand back
    EXPECT_TRUE(broker.expect<shoal::proto::bye>());  // no DONE: the broker re-queues the task
    EXPECT_EQ(w.wait(5.0), 1);
    EXPECT_LT(seconds_since(asked), 2.0);
}

TEST(WorkerDrain, StopWithNothingHeldLeavesAtOnce) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    w.worker().stop();
    auto drain = broker.expect<shoal::proto::drain>();
    ASSERT_TRUE(drain);
    EXPECT_TRUE(drain->returned.empty());
    EXPECT_TRUE(broker.expect<shoal::proto::bye>());
    EXPECT_EQ(w.wait(5.0), 0);
}

TEST(WorkerDrain, AWorkerRunsOnceAndTakesNoDefinitionsOnceStarted) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    w.worker().stop();
    EXPECT_EQ(w.wait(5.0), 0);
    EXPECT_THROW(w.worker().run(), shoal::error);
    EXPECT_THROW(w.worker().registry().define(shoal::task_def<int()>{"late"}, [] { return 1; }),
                 shoal::registry_frozen_error);
}

TEST(WorkerDrain, StopBeforeRunMakesRunReturnAtOnce) {
    fake_broker broker;
    shoal::worker w(test_options(broker, 1, 0));
    define_tasks(w.registry());
    w.stop();
    const auto started = steady::now();
    EXPECT_EQ(w.run(), 0);
    EXPECT_LT(seconds_since(started), 2.0);
}

}  // namespace
