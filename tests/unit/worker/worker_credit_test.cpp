// Credit and batching: the worker announces slots and prefetch, grants slots + prefetch at
// WELCOME, never holds more than that (prefetch 0 included), runs at most `slots` at once,
// and returns results batched: what finishes in one loop pass leaves in one DONE.
#include <chrono>

#include "fake_broker.hpp"
#include "shoal/common/sleep.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace run_on = shoal::run_on;

constexpr shoal::task_def<double(double)> nap{"nap"};
constexpr shoal::task_def<int(int)> echo{"echo"};
// Runs until the test opens the gate.
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
        echo, [](int x) -> shoal::task<int> { co_return x; }, run_on::loop);
    r.define(
        gated, []() -> shoal::task<bool> { co_return co_await opened(gate); }, run_on::loop);
}

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

TEST(WorkerCredit, HelloAnnouncesSlotsPrefetchAndTasksAndReadyGrantsBoth) {
    fake_broker broker;
    worker_thread w(test_options(broker, 3, 2), define_tasks);
    auto hello = broker.handshake();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->role, shoal::proto::peer_role::worker);
    EXPECT_EQ(hello->name, "test-worker");
    EXPECT_EQ(hello->worker.slots, 3u);
    EXPECT_EQ(hello->worker.prefetch, 2u);
    EXPECT_EQ(hello->worker.task_names, (std::vector<std::string>{"echo", "gated", "nap"}));
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 5u);
}

TEST(WorkerCredit, PrefetchZeroHoldsOnlyWhatRunsAndEachResultReturnsItsCredit) {
    fake_broker broker;
    worker_thread w(test_options(broker, 2, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 2u);
    // b runs until the gate opens, so a finishes alone however late the worker gets to it.
    gate.close();
    auto a = make_task("nap", 0.05);
    auto b = make_task("gated");
    broker.send(dispatch_of({a, b}));
    auto first = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->finished.size(), 1u);
    EXPECT_EQ(first->finished[0].result.id, a.id);
    EXPECT_EQ(first->credit, 1u);  // a's slot, and only that: b still holds the other
    gate.open();
    auto second = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->finished[0].result.id, b.id);
    EXPECT_EQ(second->credit, 1u);
}

TEST(WorkerCredit, NoMoreThanSlotsRunAtOnceAndPrefetchedTasksWait) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 1), define_tasks);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 2u);
    auto a = make_task("nap", 0.1);
    auto b = make_task("nap", 0.1);
    const auto sent = steady::now();
    broker.send(dispatch_of({a, b}));
    auto first = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->finished[0].result.id, a.id);
    EXPECT_EQ(first->credit, 1u);
    auto second = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->finished[0].result.id, b.id);
    // One slot: b started only when a finished.
    EXPECT_GE(seconds_since(sent), 0.19);
}

TEST(WorkerCredit, HeldPlusGrantedNeverExceedsSlotsPlusPrefetch) {
    fake_broker broker;
    constexpr std::uint64_t capacity = 3;  // 2 slots + 1 prefetch
    worker_thread w(test_options(broker, 2, 1), define_tasks);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<shoal::proto::ready>();
    ASSERT_TRUE(ready);
    std::uint64_t credit = ready->credit;
    std::uint64_t held = 0;
    std::size_t finished = 0;
    // Keep the worker full for 30 tasks, spending exactly the credit granted.
    std::size_t sent = 0;
    while (finished < 30) {
        std::vector<shoal::proto::dispatched_task> batch;
        while (credit > 0 && sent < 30) {
            batch.push_back(make_task("nap", 0.002 * static_cast<double>(sent % 4)));
            --credit;
            ++held;
            ++sent;
        }
        if (!batch.empty()) broker.send(dispatch_of(batch));
        auto m = broker.next();
        ASSERT_TRUE(m) << "stalled with " << held << " held and " << credit << " credit";
        ASSERT_EQ(m->cmd, shoal::proto::command::done);
        const auto done = shoal::proto::decode<shoal::proto::done>(m->body);
        held -= done.finished.size();
        finished += done.finished.size();
        credit += done.credit;
        ASSERT_LE(held + credit, capacity);
    }
    EXPECT_EQ(held, 0u);
    EXPECT_EQ(credit, capacity);  // everything back
}

TEST(WorkerCredit, ResultsFinishedInOnePassLeaveInOneDone) {
    fake_broker broker;
    worker_thread w(test_options(broker, 32, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    std::vector<shoal::proto::dispatched_task> tasks;
    for (int i = 0; i < 20; ++i) tasks.push_back(make_task("echo", i));
    broker.send(dispatch_of(tasks));
    auto done = broker.expect<shoal::proto::done>();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->finished.size(), 20u);
    EXPECT_EQ(done->credit, 20u);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        EXPECT_EQ(done->finished[i].result.id, tasks[i].id);
        EXPECT_EQ(result_of<int>(done->finished[i]), static_cast<int>(i));
    }
}

TEST(WorkerCredit, ADoneRespectsTheBrokersBatchLimit) {
    fake_broker broker;
    worker_thread w(test_options(broker, 32, 0), define_tasks);
    shoal::proto::welcome small;
    small.max_batch = 8;
    ASSERT_TRUE(broker.handshake(small));
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    std::vector<shoal::proto::dispatched_task> tasks;
    for (int i = 0; i < 20; ++i) tasks.push_back(make_task("echo", i));
    broker.send(dispatch_of(tasks));
    auto got = collect(broker, 20);
    ASSERT_EQ(got.by_id.size(), 20u);
    ASSERT_EQ(got.dones.size(), 3u);  // 8 + 8 + 4
    EXPECT_EQ(got.dones[0].finished.size(), 8u);
    EXPECT_EQ(got.dones[2].finished.size(), 4u);
    EXPECT_EQ(got.credit(), 20u);
}

TEST(WorkerCredit, TasksBeyondTheCreditStillRunAndAreReported) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 0), define_tasks);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<shoal::proto::ready>());
    std::vector<shoal::proto::dispatched_task> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(make_task("echo", i));
    broker.send(dispatch_of(tasks));  // credit was 1
    auto got = collect(broker, 3);
    EXPECT_EQ(got.by_id.size(), 3u);
    EXPECT_EQ(got.credit(), 1u);  // the credit comes back as the tasks leave, no more
}

}  // namespace
