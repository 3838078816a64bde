// REVOKE, PURGE and INSPECT against an in-process broker.

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

class BrokerRevoke : public ::testing::Test {
  protected:
    embedded_broker broker{fast_config()};
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
    void SetUp() override { client.hello_client(); }
};

TEST_F(BrokerRevoke, QueuedTaskIsRemovedAndEndsRevoked) {
    client.submit({task(1), task(2), task(3)});
    client.send(proto::revoke{{id_of(2)}});
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].id, id_of(2));
    EXPECT_EQ(r[0].status, proto::task_status::revoked);
    EXPECT_EQ(int_field(client.inspect("queues").rows.at(0), "length"), 2);

    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 5);
    worker.send(proto::ready{5});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 2u);
    EXPECT_EQ(d.tasks[0].id, id_of(1));
    EXPECT_EQ(d.tasks[1].id, id_of(3));
    const auto f = client.fetch({id_of(2)});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
    EXPECT_EQ(f.entries[0].result->status, proto::task_status::revoked);
}

TEST_F(BrokerRevoke, RunningTaskGetsCancelAndItsLaterResultIsIgnored) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0, "w");
    worker.send(proto::ready{1});
    client.inspect("workers");
    client.submit({task(1), task(2)});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    client.send(proto::revoke{{id_of(1)}});
    const auto c = worker.expect<proto::cancel>();
    ASSERT_EQ(c.ids.size(), 1u);
    EXPECT_EQ(c.ids[0], id_of(1));
    EXPECT_EQ(client.results(1).at(0).status, proto::task_status::revoked);
    // Revoking it again changes nothing and sends no second CANCEL.
    client.send(proto::revoke{{id_of(1)}});
    EXPECT_TRUE(worker.quiet_for(0.1));

    // The worker reports it anyway (it had finished): ignored, but its slot comes back.
    worker.done_ok(d.tasks, 1);
    const auto next = worker.expect<proto::dispatch>();
    ASSERT_EQ(next.tasks.size(), 1u);
    EXPECT_EQ(next.tasks[0].id, id_of(2));
    const auto f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).result->status, proto::task_status::revoked);
    const auto stats = client.inspect("stats").rows.at(0);
    EXPECT_EQ(int_field(stats, "revoked_results"), 1);
    EXPECT_EQ(int_field(stats, "revoked"), 1);
}

TEST_F(BrokerRevoke, RevokingUnknownOrFinishedTasksDoesNothing) {
    client.send(proto::revoke{{id_of(9)}});
    EXPECT_TRUE(client.quiet_for(0.1));
    EXPECT_EQ(client.fetch({id_of(9)}).entries.at(0).state, proto::result_state::unknown);
}

TEST_F(BrokerRevoke, PurgeEmptiesOneQueueAndEveryPurgedTaskEndsRevoked) {
    auto a = task(1);
    a.queue = "q1";
    auto b = task(2, "mul");
    b.queue = "q1";
    auto c = task(3);
    c.queue = "q1";
    client.submit({a, b, c, task(4)});
    client.send(proto::revoke{{id_of(3)}});  // already revoked: not counted again
    EXPECT_EQ(client.results(1).at(0).id, id_of(3));
    client.send(proto::purge{"q1"});
    const auto p = client.expect<proto::purged>();
    EXPECT_EQ(p.queue, "q1");
    EXPECT_EQ(p.count, 2u);
    const auto r = client.results(2);
    for (const auto& o : r) EXPECT_EQ(o.status, proto::task_status::revoked);
    const auto rows = client.inspect("queues").rows;
    for (const auto& row : rows) {
        EXPECT_EQ(int_field(row, "length"), str_field(row, "name") == "default" ? 1 : 0);
    }
    client.send(proto::purge{"never-seen"});
    EXPECT_EQ(client.expect<proto::purged>().count, 0u);
}

TEST_F(BrokerRevoke, InspectReportsWorkersQueuesActiveAndStats) {
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add", "mul"}, 2, 3, "w-inspect");
    worker.send(proto::ready{5});
    client.inspect("workers");
    client.submit({task(1), task(2, "mul"), task(3)});
    const auto d = worker.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 3u);
    client.submit({task(4, "other")});  // unknown name: fails at once
    EXPECT_EQ(client.results(1).at(0).status, proto::task_status::unknown_task);

    const auto workers = client.inspect("workers");
    EXPECT_EQ(workers.what, "workers");
    ASSERT_EQ(workers.rows.size(), 1u);
    const auto& w = workers.rows[0];
    EXPECT_EQ(str_field(w, "name"), "w-inspect");
    EXPECT_EQ(str_field(w, "identity").size() % 2, 0u);
    EXPECT_FALSE(str_field(w, "identity").empty());
    EXPECT_EQ(int_field(w, "slots"), 2);
    EXPECT_EQ(int_field(w, "prefetch"), 3);
    EXPECT_EQ(int_field(w, "credit"), 2);
    EXPECT_EQ(int_field(w, "held"), 3);
    EXPECT_EQ(int_field(w, "done"), 0);
    EXPECT_EQ(str_field(w, "tasks"), "add,mul");
    EXPECT_GE(int_field(w, "last_heard_ms"), 0);
    EXPECT_LT(int_field(w, "last_heard_ms"), 1000);

    const auto active = client.inspect("active");
    ASSERT_EQ(active.rows.size(), 3u);
    for (const auto& row : active.rows) {
        EXPECT_EQ(str_field(row, "task").size(), 32u);
        EXPECT_EQ(str_field(row, "worker"), "w-inspect");
        EXPECT_EQ(str_field(row, "queue"), "default");
        EXPECT_EQ(int_field(row, "attempt"), 1);
        EXPECT_EQ(int_field(row, "revoked"), 0);
    }

    const auto queues = client.inspect("queues");
    ASSERT_EQ(queues.rows.size(), 1u);
    EXPECT_EQ(str_field(queues.rows[0], "name"), "default");
    EXPECT_EQ(int_field(queues.rows[0], "length"), 0);

    const auto stats = client.inspect("stats").rows.at(0);
    EXPECT_EQ(int_field(stats, "submitted"), 4);
    EXPECT_EQ(int_field(stats, "dispatched"), 3);
    EXPECT_EQ(int_field(stats, "unknown_task"), 1);
    EXPECT_EQ(int_field(stats, "active"), 3);
    EXPECT_EQ(int_field(stats, "workers"), 1);
    EXPECT_EQ(int_field(stats, "clients"), 1);
    EXPECT_EQ(int_field(stats, "pending"), 3);
    EXPECT_EQ(int_field(stats, "late_results"), 0);
}

}  // namespace
