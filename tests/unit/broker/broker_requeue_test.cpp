// A worker that dies: its tasks go back to the front of their queue with attempt + 1, a late
// DONE for the old attempt is ignored and counted, and the dead worker must HELLO again.
// The broker runs on a manual clock: a silent worker dies when the test moves time past its
// liveness (200 ms), while the peers that heartbeat are heard in between (advance_alive), so
// a slow machine kills nobody.

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "broker_time.hpp"
#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

proto::done done_of(const proto::dispatched_task& t, std::string payload, std::uint32_t credit) {
    proto::done d;
    d.finished.push_back(
        {proto::outcome{t.id, proto::task_status::ok, std::move(payload), {}}, t.attempt, {}});
    d.credit = credit;
    return d;
}

// Past the 200 ms liveness window of short_liveness(), in steps shorter than it.
constexpr double past_liveness_s = 0.5;
constexpr double step_s = 0.1;

TEST(BrokerRequeue, DeadWorkersTasksRunAgainWithTheNextAttempt) {
    shoal::testing::manual_clock clock;
    embedded_broker broker(short_liveness(), &clock);
    zmq::context_t ctx;
    test_peer client(ctx, broker.endpoint());
    client.hello_client();
    test_peer doomed(ctx, broker.endpoint());
    doomed.hello_worker({"add"}, 2, 0, "doomed");
    doomed.send(proto::ready{2});
    client.inspect("workers");  // the READY is in
    client.submit({task(1), task(2), task(3)});
    const auto first = doomed.expect<proto::dispatch>();
    ASSERT_EQ(first.tasks.size(), 2u);
    EXPECT_EQ(first.tasks[0].attempt, 1u);

    const auto active = client.inspect("active");
    ASSERT_EQ(active.rows.size(), 2u);
    EXPECT_EQ(str_field(active.rows[0], "worker"), "doomed");
    EXPECT_EQ(int_field(active.rows[0], "attempt"), 1);

    doomed.go_silent();  // hangs: no heartbeats, no DONE
    test_peer rescuer(ctx, broker.endpoint());
    rescuer.hello_worker({"add"}, 3, 0, "rescuer");
    rescuer.send(proto::ready{3});
    // Task 3 goes to the rescuer at once; tasks 1 and 2 once the doomed worker is declared
    // dead (200 ms), back at the front of the queue with attempt 2.
    std::vector<proto::dispatched_task> got = rescuer.expect<proto::dispatch>().tasks;
    ASSERT_EQ(got.size(), 1u);
    advance_alive(broker, clock, past_liveness_s, step_s, client, {"rescuer"});
    while (got.size() < 3) {
        const auto d = rescuer.expect<proto::dispatch>();
        if (d.tasks.empty()) break;  // none came: expect() failed the test
        got.insert(got.end(), d.tasks.begin(), d.tasks.end());
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].id, id_of(3));
    EXPECT_EQ(got[0].attempt, 1u);
    EXPECT_EQ(got[1].id, id_of(1));
    EXPECT_EQ(got[1].attempt, 2u);
    EXPECT_EQ(got[2].id, id_of(2));
    EXPECT_EQ(got[2].attempt, 2u);

    // The doomed worker wakes up and reports attempt 1: it has no session any more.
    doomed.send(done_of(first.tasks[0], "stale", 1));
    EXPECT_EQ(doomed.expect_error().code, "not_registered");
    // It says HELLO again and reports again: the attempt is superseded, so it is ignored.
    doomed.hello_worker({"add"}, 2, 0, "doomed-again");
    doomed.send(done_of(first.tasks[0], "stale", 1));
    // The rescuer's results count.
    for (const auto& t : got) rescuer.send(done_of(t, "fresh", 1));
    const auto results = client.results(3);
    for (const auto& o : results) {
        EXPECT_EQ(o.status, proto::task_status::ok);
        EXPECT_EQ(o.payload, "fresh");
    }
    const auto f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).result->payload, "fresh");

    const auto stats = client.inspect("stats").rows.at(0);
    EXPECT_EQ(int_field(stats, "late_results"), 1);
    EXPECT_EQ(int_field(stats, "requeued"), 2);
    EXPECT_EQ(int_field(stats, "workers_dead"), 1);
    EXPECT_EQ(int_field(stats, "completed"), 3);
    for (const auto& row : client.inspect("workers").rows) {
        if (str_field(row, "name") == "doomed-again") {
            EXPECT_EQ(int_field(row, "late"), 1);
        }
    }
}

TEST(BrokerRequeue, LateDoneAfterRequeueButBeforeRedispatchIsIgnored) {
    shoal::testing::manual_clock clock;
    embedded_broker broker(short_liveness(), &clock);
    zmq::context_t ctx;
    test_peer client(ctx, broker.endpoint());
    client.hello_client();
    test_peer doomed(ctx, broker.endpoint());
    doomed.hello_worker({"add"}, 1, 0, "doomed");
    doomed.send(proto::ready{1});
    client.inspect("workers");
    client.submit({task(1)});
    const auto d = doomed.expect<proto::dispatch>();
    doomed.go_silent();
    advance_alive(broker, clock, past_liveness_s, step_s, client);
    EXPECT_EQ(int_field(client.inspect("queues").rows.at(0), "length"), 1);  // back in line
    doomed.hello_worker({"add"}, 1, 0, "doomed-again");
    doomed.send(done_of(d.tasks[0], "stale", 0));  // attempt 1: no credit returned
    EXPECT_EQ(client.fetch({id_of(1)}).entries.at(0).state, proto::result_state::pending);
    doomed.send(proto::ready{1});
    const auto again = doomed.expect<proto::dispatch>();
    ASSERT_EQ(again.tasks.size(), 1u);
    EXPECT_EQ(again.tasks[0].attempt, 2u);
    doomed.send(done_of(again.tasks[0], "fresh", 1));
    const auto r = client.results(1);
    EXPECT_EQ(r.at(0).payload, "fresh");
}

TEST(BrokerRequeue, ATaskThatOutlivesMaxAttemptsIsDeadLettered) {
    auto config = short_liveness();
    config.max_attempts = 1;
    shoal::testing::manual_clock clock;
    embedded_broker broker(config, &clock);
    zmq::context_t ctx;
    test_peer client(ctx, broker.endpoint());
    client.hello_client();
    test_peer doomed(ctx, broker.endpoint());
    doomed.hello_worker({"add"}, 1, 0, "doomed");
    doomed.send(proto::ready{1});
    client.inspect("workers");
    client.submit({task(1)});
    doomed.expect<proto::dispatch>();
    doomed.go_silent();
    advance_alive(broker, clock, past_liveness_s, step_s, client);
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::lost);
    EXPECT_EQ(r[0].error.type, "dead_letter");
    EXPECT_EQ(r[0].error.where, "broker");
}

TEST(BrokerRequeue, ByeAlsoReQueuesWhatTheWorkerHeld) {
    embedded_broker broker(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, broker.endpoint());
    client.hello_client();
    test_peer leaving(ctx, broker.endpoint());
    leaving.hello_worker({"add"}, 1, 0, "leaving");
    leaving.send(proto::ready{1});
    client.inspect("workers");
    client.submit({task(1)});
    leaving.expect<proto::dispatch>();
    leaving.send(proto::bye{"shutting down"});
    leaving.go_silent();
    test_peer next(ctx, broker.endpoint());
    next.hello_worker({"add"});
    next.send(proto::ready{1});
    const auto d = next.expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].attempt, 2u);
}

TEST(BrokerRequeue, AWorkerThatDiesCostsADeathOnlyToTheTaskItWasRunning) {
    auto config = short_liveness();
    config.max_attempts = 1;  // one death of a started task sets it aside
    shoal::testing::manual_clock clock;
    embedded_broker broker(config, &clock);
    zmq::context_t ctx;
    test_peer client(ctx, broker.endpoint());
    client.hello_client();
    test_peer doomed(ctx, broker.endpoint());
    doomed.hello_worker({"add"}, 1, 3, "doomed");  // runs one, holds three more
    doomed.send(proto::ready{4});
    client.inspect("workers");  // the READY is in
    client.submit({task(1), task(2), task(3), task(4)});
    std::size_t held = 0;
    while (held < 4) {
        const auto d = doomed.expect<proto::dispatch>();
        if (d.tasks.empty()) break;
        held += d.tasks.size();
    }
    ASSERT_EQ(held, 4u);
    doomed.go_silent();  // it dies before it could say what it started
    test_peer rescuer(ctx, broker.endpoint());
    rescuer.hello_worker({"add"}, 3, 0, "rescuer");
    rescuer.send(proto::ready{3});
    advance_alive(broker, clock, past_liveness_s, step_s, client, {"rescuer"});
    // The first task sent is the one it ran: set aside. The three it only held run elsewhere.
    const auto told = client.results(1);
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].id, id_of(1));
    EXPECT_EQ(told[0].error.type, "dead_letter");
    std::vector<proto::task_id> again;
    while (again.size() < 3) {
        const auto d = rescuer.expect<proto::dispatch>();
        if (d.tasks.empty()) break;
        for (const auto& t : d.tasks) again.push_back(t.id);
    }
    EXPECT_EQ(again, (std::vector<proto::task_id>{id_of(2), id_of(3), id_of(4)}));
    EXPECT_EQ(client.inspect("dead").rows.size(), 1u);
}

}  // namespace
