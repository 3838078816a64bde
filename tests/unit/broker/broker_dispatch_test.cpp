// Dispatch against an in-process broker: tasks waiting for a worker, credit (including
// prefetch 0), batching, routing by task name, unknown task names, options.

#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

class BrokerDispatch : public ::testing::Test {
  protected:
    embedded_broker broker{fast_config()};
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
    void SetUp() override { client.hello_client(); }

    // Waits until the broker has taken in a worker's READY. The worker's and the client's
    // messages come over different connections, so one INSPECT may overtake the READY: ask
    // again until the credit shows, for at most 3 s.
    void sync_credit(std::int64_t expected) {
        std::int64_t credit = -1;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (std::chrono::steady_clock::now() < deadline) {
            credit = 0;
            for (const auto& row : client.inspect("workers").rows)
                credit += int_field(row, "credit");
            if (credit == expected) return;
        }
        EXPECT_EQ(credit, expected);
    }
};

TEST_F(BrokerDispatch, TasksSubmittedBeforeAnyWorkerRunOnceOneJoins) {
    const auto acc = client.submit({task(1), task(2), task(3)});
    EXPECT_EQ(acc.ids.size(), 3u);
    EXPECT_TRUE(acc.refused.empty());
    EXPECT_EQ(int_field(client.inspect("queues").rows.at(0), "length"), 3);

    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 4, 0);
    EXPECT_TRUE(worker.quiet_for(0.1));  // no credit yet, so nothing is sent
    worker.send(proto::ready{4});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 3u);  // one DISPATCH for the whole wake-up
    EXPECT_EQ(d.tasks[0].id, id_of(1));
    EXPECT_EQ(d.tasks[2].id, id_of(3));
    EXPECT_EQ(d.tasks[0].name, "add");
    EXPECT_EQ(d.tasks[0].attempt, 1u);
    EXPECT_EQ(d.tasks[0].payload, "\x92\x01\x02");

    worker.done_ok(d.tasks, 3);
    int messages = 0;
    const auto results = client.results(3, 3.0, &messages);
    EXPECT_EQ(messages, 1);  // one RESULT for the DONE's three outcomes
    for (const auto& o : results) {
        EXPECT_EQ(o.status, proto::task_status::ok);
        EXPECT_EQ(o.payload, "\x92\x01\x02");
    }
}

TEST_F(BrokerDispatch, PrefetchZeroMeansOneTaskPerSlotAtATime) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0);
    worker.send(proto::ready{5});  // asks for more than slots + prefetch
    sync_credit(1);
    client.submit({task(1), task(2), task(3)});
    auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_TRUE(worker.quiet_for(0.15));  // holds one: nothing more
    worker.done_ok(d.tasks, 1);
    d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(2));
    EXPECT_TRUE(worker.quiet_for(0.1));
    worker.done_ok(d.tasks, 1);
    d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(3));
    worker.done_ok(d.tasks, 1);
    EXPECT_EQ(client.results(3).size(), 3u);
}

TEST_F(BrokerDispatch, AWorkerNeverGetsMoreThanItsTokensAllow) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 2, 1);
    worker.send(proto::ready{3});
    sync_credit(3);
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 1; i <= 10; ++i) tasks.push_back(task(i));
    client.submit(tasks);
    auto d = worker.expect<proto::dispatch>();
    EXPECT_EQ(d.tasks.size(), 3u);
    // No tokens left: nothing more comes until the worker returns some.
    EXPECT_TRUE(worker.quiet_for(0.15));
    // One done, one token back: exactly one more.
    worker.done_ok({d.tasks[0]}, 1);
    const auto more = worker.expect<proto::dispatch>();
    EXPECT_EQ(more.tasks.size(), 1u);
    EXPECT_TRUE(worker.quiet_for(0.1));
    EXPECT_EQ(client.results(1).size(), 1u);
    auto rows = client.inspect("workers").rows;
    EXPECT_EQ(int_field(rows.at(0), "held"), 3);
    EXPECT_EQ(int_field(rows.at(0), "done"), 1);
    // Tokens returned while tasks are held (their coroutines wait on subtasks) are trusted,
    // but a worker asking for too much still gets at most slots + prefetch at once.
    worker.send(proto::ready{100});
    const auto extra = worker.expect<proto::dispatch>();
    EXPECT_EQ(extra.tasks.size(), 3u);
    EXPECT_TRUE(worker.quiet_for(0.1));
}

TEST_F(BrokerDispatch, BatchesAsManyTasksAsTheCreditAllowsInOneDispatch) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 100, 100);
    worker.send(proto::ready{200});
    sync_credit(200);
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 1; i <= 150; ++i) tasks.push_back(task(i));
    client.submit(tasks);
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 150u);
    for (std::uint32_t i = 0; i < 150; ++i) EXPECT_EQ(d.tasks[i].id, id_of(i + 1));
}

TEST_F(BrokerDispatch, EachTaskGoesOnlyToAWorkerOfferingItsName) {
    test_peer adder(ctx, broker.endpoint());
    adder.hello_worker({"add"}, 10, 0, "adder");
    adder.send(proto::ready{10});
    test_peer multiplier(ctx, broker.endpoint());
    multiplier.hello_worker({"mul"}, 10, 0, "multiplier");
    multiplier.send(proto::ready{10});
    sync_credit(20);
    client.submit({task(1, "mul"), task(2, "add"), task(3, "mul")});
    const auto a = adder.expect<proto::dispatch>();
    ASSERT_EQ(a.tasks.size(), 1u);
    EXPECT_EQ(a.tasks[0].id, id_of(2));
    const auto m = multiplier.expect<proto::dispatch>();
    ASSERT_EQ(m.tasks.size(), 2u);
    EXPECT_EQ(m.tasks[0].name, "mul");
    EXPECT_EQ(m.tasks[1].name, "mul");
}

TEST_F(BrokerDispatch, UnknownTaskFailsAtOnceWhenWorkersExist) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"});
    const auto acc = client.submit({task(1, "xyz")});
    ASSERT_EQ(acc.ids.size(), 1u);  // accepted, then failed with a reason
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::unknown_task);
    EXPECT_EQ(r[0].error.message, "no worker offers task 'xyz'");
    EXPECT_EQ(r[0].error.where, "broker");
    const auto f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
    EXPECT_EQ(f.entries.at(0).result->status, proto::task_status::unknown_task);
}

TEST_F(BrokerDispatch, EveryOptionIsAcceptedAndTimeLimitsGoToTheWorker) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"});
    worker.send(proto::ready{1});
    sync_credit(1);
    auto limited = task(1);
    limited.options.time_limit_ms = 1500;
    limited.options.soft_time_limit_ms = 1000;
    limited.options.max_retries = 2;
    limited.options.retry_on = {"std::runtime_error"};
    auto prioritised = task(2);
    prioritised.options.priority = 5;
    auto delayed = task(3);
    delayed.options.countdown_ms = 60'000;
    const auto acc = client.submit({limited, prioritised, delayed});
    ASSERT_EQ(acc.ids.size(), 3u);
    EXPECT_TRUE(acc.refused.empty());
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    // The priority-5 task goes first; the others' options stay in the broker.
    EXPECT_EQ(d.tasks[0].id, id_of(2));
    EXPECT_TRUE(d.tasks[0].options.empty());
    worker.done_ok(d.tasks, 1);
    const auto second = worker.expect<proto::dispatch>();
    ASSERT_EQ(second.tasks.size(), 1u);
    EXPECT_EQ(second.tasks[0].id, id_of(1));
    EXPECT_EQ(second.tasks[0].options.time_limit_ms, 1500u);
    EXPECT_EQ(second.tasks[0].options.soft_time_limit_ms, 1000u);
    EXPECT_FALSE(second.tasks[0].options.max_retries.has_value());  // the broker retries
}

TEST_F(BrokerDispatch, ZeroTimeLimitsAreRefused) {
    auto zero = task(1);
    zero.options.time_limit_ms = 0;
    auto zero_soft = task(2);
    zero_soft.options.soft_time_limit_ms = 0;
    const auto acc = client.submit({zero, zero_soft});
    EXPECT_TRUE(acc.ids.empty());
    ASSERT_EQ(acc.refused.size(), 2u);
    for (const auto& r : acc.refused) EXPECT_EQ(r.error.type, "bad_task");
}

TEST_F(BrokerDispatch, MalformedTasksAreRefusedOneByOne) {
    auto no_name = task(1, "");
    auto no_queue = task(2);
    no_queue.queue = "";
    const auto acc = client.submit({no_name, task(3), no_queue});
    ASSERT_EQ(acc.ids.size(), 1u);
    EXPECT_EQ(acc.ids[0], id_of(3));
    ASSERT_EQ(acc.refused.size(), 2u);
    std::set<std::string> codes;
    for (const auto& r : acc.refused) codes.insert(r.error.type);
    EXPECT_EQ(codes, std::set<std::string>{"bad_task"});
}

TEST_F(BrokerDispatch, QueuesAreNamedAndDrainInSubmissionOrder) {
    auto a = task(1);
    a.queue = "cpu";
    auto b = task(2);
    auto c = task(3);
    c.queue = "cpu";
    client.submit({a, b, c});
    const auto rows = client.inspect("queues").rows;
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(str_field(rows[0], "name"), "cpu");
    EXPECT_EQ(int_field(rows[0], "length"), 2);
    EXPECT_EQ(str_field(rows[1], "name"), "default");
    EXPECT_EQ(int_field(rows[1], "length"), 1);
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker_of({"cpu", "default"}, {"add"}, 3);
    worker.send(proto::ready{3});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 3u);
    EXPECT_EQ(d.tasks[0].id, id_of(1));
    EXPECT_EQ(d.tasks[1].id, id_of(2));
    EXPECT_EQ(d.tasks[2].id, id_of(3));
}

}  // namespace
