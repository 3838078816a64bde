// A worker that loses its broker keeps its tasks running, greets the broker again, grants
// only the credit its held tasks leave room for, and sends the results that finished while
// it was away.
#include "fake_broker.hpp"

#include "shoal/common/sleep.hpp"
#include "task_gate.hpp"

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
namespace run_on = shoal::run_on;
namespace proto = shoal::proto;

constexpr shoal::task_def<double(double)> nap{"nap"};
// A nap that opens `finished` as it ends, so the test knows it ended.
constexpr shoal::task_def<double(double)> nap_and_tell{"nap_and_tell"};

task_gate finished;

void define_tasks(shoal::task_registry& r) {
    r.define(nap, [](double s) -> shoal::task<double> {
        co_await shoal::sleep(s);
        co_return s;
    }, run_on::loop);
    r.define(nap_and_tell, [](double s) -> shoal::task<double> {
        co_await shoal::sleep(s);
        finished.open();
        co_return s;
    }, run_on::loop);
}

TEST(WorkerReconnect, ResultsFinishedWhileAwayAreSentAfterTheNextWelcome) {
    fake_broker broker;
    worker_thread w(test_options(broker, 1, 1), define_tasks);
    ASSERT_TRUE(broker.handshake());
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 2u);
    finished.close();
    auto t = make_task("nap_and_tell", 0.05);
    t.attempt = 2;
    broker.send(dispatch_of({t}));
    // The broker forgot the worker: it must greet again.
    broker.send(proto::error_reply{"not_registered", "who are you?", std::nullopt});
    auto again = broker.next();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->cmd, proto::command::hello);
    ASSERT_TRUE(finished.wait(10.0)) << "the task never finished";  // while the worker is away
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
    ASSERT_TRUE(broker.handshake());
    ASSERT_TRUE(broker.expect<proto::ready>());
    auto t = make_task("nap", 1.0);
    broker.send(dispatch_of({t}));
    broker.send(proto::error_reply{"not_registered", "restarted", std::nullopt});
    auto again = broker.next();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->cmd, proto::command::hello);
    broker.send(proto::welcome{});
    auto ready = broker.expect<proto::ready>();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->credit, 1u);  // two slots, one still busy with the old session's task
    auto done = broker.expect<proto::done>();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->finished[0].result.id, t.id);
    EXPECT_EQ(done->credit, 1u);
}

}  // namespace
