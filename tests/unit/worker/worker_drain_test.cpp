// Draining: stop() or SIGTERM makes the worker take no more work (READY 0), finish what it
// holds, report it, say BYE and return 0 from run(); the grace period bounds the wait (run()
// returns 1 and the unfinished task is left to the broker).
#include "fake_broker.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>

#include <pthread.h>

#include "shoal/common/sleep.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<double(double)> nap{"nap"};

void define_tasks(shoal::task_registry& r) {
    r.define(nap, [](double s) -> shoal::task<double> {
        co_await shoal::sleep(s);
        co_return s;
    }, run_on::loop);
}

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

// After a drain started: READY 0, then the held tasks' results, then BYE.
void expect_drain(fake_broker& broker, const std::vector<shoal::proto::task_id>& held) {
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 0u);
    std::size_t reported = 0;
    while (reported < held.size()) {
        auto done = broker.expect<shoal::proto::done>();
        ASSERT_TRUE(done);
        for (const auto& f : done->finished) {
            EXPECT_EQ(f.result.status, task_status::ok);
            EXPECT_NE(std::find(held.begin(), held.end(), f.result.id), held.end());
        }
        reported += done->finished.size();
        EXPECT_EQ(done->credit, 0u);  // draining: no credit, ever
    }
    EXPECT_TRUE(broker.expect<shoal::proto::bye>());
}

TEST(WorkerDrain, StopFinishesHeldTasksThenSaysByeAndReturnsZero) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 2), define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    auto a = make_task("nap", 0.05);
    auto b = make_task("nap", 0.05);
    auto c = make_task("nap", 0.05);
    broker.send(dispatch_of({a, b, c}));  // one runs, two wait: all three finish
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w.worker().stop();
    expect_drain(broker, {a.id, b.id, c.id});
    EXPECT_EQ(w.wait(5.0), 0);
}

TEST(WorkerDrain, SigtermDrainsLikeStop) {
    fake_broker broker;
    auto options = test_options(broker, 2, 0);
    options.handle_signals = true;
    worker_thread w(options, define_tasks);
    ASSERT_TRUE(broker.handshake());  // run() has blocked SIGTERM on its thread by now
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    auto t = make_task("nap", 0.1);
    broker.send(dispatch_of({t}));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
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
    broker.send(dispatch_of({make_task("nap", 30.0)}));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto asked = steady::now();
    w.worker().stop();
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 0u);
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
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 0u);
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
