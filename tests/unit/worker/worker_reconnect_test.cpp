// A worker that loses its broker keeps its tasks running, greets the broker again, grants
// only the credit its held tasks leave room for, and sends the results that finished while
// it was away.
#include "fake_broker.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
namespace run_on = shoal::run_on;
namespace proto = shoal::proto;

// Runs until the test opens `release`: still running at the reconnect however slowly the
// worker gets there (a nap of a set length could end first on a busy machine).
constexpr shoal::task_def<bool()> gated{"gated"};
// The same, and opens `finished` as it ends, so the test knows it ended.
constexpr shoal::task_def<bool()> gated_and_tell{"gated_and_tell"};

task_gate release;
task_gate finished;

void define_tasks(shoal::task_registry& r) {
    r.define(
        gated, []() -> shoal::task<bool> { co_return co_await opened(release); }, run_on::loop);
    r.define(
        gated_and_tell,
        []() -> shoal::task<bool> {
            const bool opened_in_time = co_await opened(release);
            finished.open();
            co_return opened_in_time;
        },
        run_on::loop);
}

TEST(WorkerReconnect, ResultsFinishedWhileAwayAreSentAfterTheNextWelcome) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 1), define_tasks);
    gate_scope held(release);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 2u);
    finished.close();
    auto t = make_task("gated_and_tell");
    t.attempt = 2;
    broker.send(dispatch_of({t}));
    // The broker forgot the worker: it must greet again.
    broker.send(proto::error_reply{"not_registered", "who are you?", std::nullopt});
    auto again = broker.next();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->cmd, proto::command::hello);
    release.open();  // the task ends while the worker is away
    ASSERT_TRUE(finished.wait(10.0)) << "the task never finished";
    broker.send(proto::welcome{});
    // Credit first: capacity 2, one task still held (its result not yet reported).
    auto second_ready = broker.expect<proto::ready>();
    ASSERT_TRUE(second_ready);
    EXPECT_EQ(second_ready->credit, 1u);
    auto done = broker.expect<proto::done>();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->finished.size(), 1u);
    EXPECT_EQ(done->finished[0].result.id, t.id);
    EXPECT_EQ(done->finished[0].attempt, 2u);
    EXPECT_EQ(done->finished[0].result.status, task_status::ok);
    EXPECT_EQ(done->credit, 1u);
}

TEST(WorkerReconnect, TasksHeldAcrossAReconnectLimitTheNewCredit) {
    fake_broker broker;
    worker_thread w(test_options(broker, 2, 0), define_tasks);
    gate_scope held(release);
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<proto::ready>());
    auto t = make_task("gated");
    broker.send(dispatch_of({t}));
    broker.send(proto::error_reply{"not_registered", "restarted", std::nullopt});
    auto again = broker.next();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->cmd, proto::command::hello);
    broker.send(proto::welcome{});
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 1u);  // two slots, one still busy with the old session's task
    release.open();
    auto done = broker.expect<proto::done>();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.id, t.id);
    EXPECT_EQ(done->credit, 1u);
}

}  // namespace
