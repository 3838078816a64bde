// Results: pushed to the submitter, kept in the store for FETCH from any client (unknown,
// pending, done, expired), idempotent resubmission and conflicts.

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "broker_time.hpp"
#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

// The broker runs on a manual clock: results expire, and silent peers die, only when a test
// advances it, never because the machine was slow to move 30 MiB.
class BrokerResults : public ::testing::Test {
  protected:
    static broker_config config() {
        auto c = fast_config();
        c.result_ttl_s = 1;
        // Advancing the clock is a silence of the peers too: liveness (not tested here) must
        // outlast every advance.
        c.liveness = 1000;
        return c;
    }
    shoal::testing::manual_clock clock;
    embedded_broker broker{config(), &clock};
    zmq::context_t ctx;
    test_peer client{ctx, broker.endpoint()};
    void SetUp() override { client.hello_client(); }

    // A worker that runs whatever it is given, once.
    std::vector<proto::dispatched_task> run_on(test_peer& worker, std::size_t expected) {
        std::vector<proto::dispatched_task> got;
        while (got.size() < expected) {
            const auto d = worker.expect<proto::dispatch>();
            if (d.tasks.empty()) break;
            got.insert(got.end(), d.tasks.begin(), d.tasks.end());
        }
        worker.done_ok(got, static_cast<std::uint32_t>(got.size()));
        return got;
    }
};

TEST_F(BrokerResults, FetchTellsUnknownPendingDoneAndExpired) {
    client.submit({task(1)});
    auto f = client.fetch({id_of(1), id_of(2)});
    ASSERT_EQ(f.entries.size(), 2u);
    EXPECT_EQ(f.entries[0].state, proto::result_state::pending);
    EXPECT_FALSE(f.entries[0].result.has_value());
    EXPECT_EQ(f.entries[1].state, proto::result_state::unknown);

    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"});
    worker.send(proto::ready{1});
    run_on(worker, 1);
    EXPECT_EQ(client.results(1).size(), 1u);
    f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
    ASSERT_TRUE(f.entries[0].result.has_value());
    EXPECT_EQ(f.entries[0].result->payload, "\x92\x01\x02");

    // Just before its TTL (1 s) the result is still there; past it, it is expired.
    advance(broker, clock, 0.9);
    EXPECT_EQ(client.fetch({id_of(1)}).entries.at(0).state, proto::result_state::done);
    advance(broker, clock, 0.2);
    f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::expired);
    EXPECT_FALSE(f.entries[0].result.has_value());
}

TEST_F(BrokerResults, AnyClientCanFetchAndTheSubmitterNeedNotBeThere) {
    {
        test_peer gone(ctx, broker.endpoint());
        gone.hello_client("gone");
        gone.submit({task(1)});
        gone.send(proto::bye{"leaving"});
    }
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"});
    worker.send(proto::ready{1});
    run_on(worker, 1);
    // The submitter is gone: nobody is pushed anything, the result waits in the store.
    EXPECT_TRUE(client.quiet_for(0.1));
    const auto f = client.fetch({id_of(1)});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
}

TEST_F(BrokerResults, FetchingAPendingTaskSubscribesTheAsker) {
    client.submit({task(1)});
    test_peer other(ctx, broker.endpoint());
    other.hello_client("other");
    EXPECT_EQ(other.fetch({id_of(1)}).entries.at(0).state, proto::result_state::pending);
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"});
    worker.send(proto::ready{1});
    run_on(worker, 1);
    EXPECT_EQ(client.results(1).at(0).id, id_of(1));
    EXPECT_EQ(other.results(1).at(0).id, id_of(1));  // pushed, not polled
}

TEST_F(BrokerResults, SameIdSameBodyIsAcceptedOnceRunOnce) {
    EXPECT_EQ(client.submit({task(1)}).ids.size(), 1u);
    const auto again = client.submit({task(1)});
    ASSERT_EQ(again.ids.size(), 1u);
    EXPECT_TRUE(again.refused.empty());
    EXPECT_EQ(int_field(client.inspect("queues").rows.at(0), "length"), 1);

    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 5);
    worker.send(proto::ready{5});
    const auto ran = run_on(worker, 1);
    EXPECT_EQ(ran.size(), 1u);
    EXPECT_TRUE(worker.quiet_for(0.1));  // no second run
    EXPECT_EQ(client.results(1).size(), 1u);

    // After it is done, the same SUBMIT is still accepted, not run, and answered again.
    const auto late = client.submit({task(1)});
    EXPECT_EQ(late.ids.size(), 1u);
    EXPECT_EQ(client.results(1).at(0).status, proto::task_status::ok);
    EXPECT_TRUE(worker.quiet_for(0.1));
    EXPECT_EQ(int_field(client.inspect("stats").rows.at(0), "duplicates"), 2);
}

TEST_F(BrokerResults, SameIdOtherBodyIsAConflict) {
    client.submit({task(1)});
    const auto acc = client.submit({task(1, "add", "\x92\x09\x09"), task(2)});
    ASSERT_EQ(acc.ids.size(), 1u);
    EXPECT_EQ(acc.ids[0], id_of(2));
    ASSERT_EQ(acc.refused.size(), 1u);
    EXPECT_EQ(acc.refused[0].id, id_of(1));
    EXPECT_EQ(acc.refused[0].error.type, "conflict");
    auto other_queue = task(1);
    other_queue.queue = "elsewhere";
    EXPECT_EQ(client.submit({other_queue}).refused.at(0).error.type, "conflict");
}

TEST_F(BrokerResults, FailuresAreRelayedAsData) {
    client.submit({task(1)});
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1, 0, "w7");
    worker.send(proto::ready{1});
    const auto d = worker.expect<proto::dispatch>();
    proto::done done;
    done.finished.push_back(
        {proto::outcome{
             d.tasks[0].id, proto::task_status::failed, "", {"std::domain_error", "no", "w7"}},
         1});
    done.credit = 1;
    worker.send(done);
    const auto r = client.results(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::failed);
    EXPECT_EQ(r[0].error.type, "std::domain_error");
    EXPECT_EQ(r[0].error.message, "no");
    EXPECT_EQ(r[0].error.where, "w7");
}

TEST_F(BrokerResults, LargeResultsAreSplitAcrossMessagesUnderTheSizeLimit) {
    // 5 results of 6 MiB each cannot share one 16 MiB message.
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 1; i <= 5; ++i)
        tasks.push_back(task(i, "add", std::string(6 << 20, 'x')));
    for (auto& t : tasks) client.submit({t});
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 5);
    worker.send(proto::ready{5});
    std::vector<proto::dispatched_task> got;
    int dispatches = 0;
    while (got.size() < 5) {
        const auto d = worker.expect<proto::dispatch>();
        if (d.tasks.empty()) break;
        ++dispatches;
        got.insert(got.end(), d.tasks.begin(), d.tasks.end());
    }
    EXPECT_GE(dispatches, 3);
    worker.done_ok({got[0], got[1]}, 0);  // 12 MiB: fits one DONE
    worker.done_ok({got[2], got[3]}, 0);
    worker.done_ok({got[4]}, 0);
    int messages = 0;
    const auto r = client.results(5, reply_deadline_s, &messages);
    EXPECT_GE(messages, 3);
    for (const auto& o : r) EXPECT_EQ(o.payload.size(), 6u << 20);
    // FETCH answers come a slice per pass: 6 MiB each, one per FETCHED.
    client.send(proto::fetch{{id_of(1), id_of(2), id_of(3)}});
    std::size_t answered = 0;
    int fetched_messages = 0;
    while (answered < 3) {
        const auto f = client.expect<proto::fetched>();
        if (f.entries.empty()) break;
        ++fetched_messages;
        for (const auto& e : f.entries) {
            EXPECT_EQ(e.state, proto::result_state::done);
            ASSERT_TRUE(e.result.has_value());
            EXPECT_EQ(e.result->payload.size(), 6u << 20);
        }
        answered += f.entries.size();
    }
    EXPECT_EQ(answered, 3u);
    EXPECT_EQ(fetched_messages, 3);
}

TEST_F(BrokerResults, AFetchNamingOneIdTenThousandTimesIsAnsweredOnce) {
    client.submit({task(1, "add", std::string(110u << 10, 'p'))});
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1);
    worker.send(proto::ready{1});
    run_on(worker, 1);
    ASSERT_EQ(client.results(1).size(), 1u);
    client.send(proto::fetch{std::vector<proto::task_id>(10'000, id_of(1))});
    std::size_t entries = 0;
    while (const auto m = client.next(0.5)) {
        ASSERT_EQ(m->cmd, proto::command::fetched);
        entries += proto::decode<proto::fetched>(m->body).entries.size();
    }
    EXPECT_EQ(entries, 1u) << "one FETCH made the broker copy a 110 KB result per mention";
}

TEST_F(BrokerResults, ATaskSubmittedAgainAfterItsResultExpiredDoesNotRunAgain) {
    client.submit({task(1)});
    test_peer worker(ctx, broker.endpoint());
    worker.hello_worker({"add"}, 1);
    worker.send(proto::ready{1});
    run_on(worker, 1);
    ASSERT_EQ(client.results(1).size(), 1u);
    worker.send(proto::ready{1});
    advance(broker, clock, 2.0);  // past the result's TTL (1 s), well inside the dedup window
    ASSERT_EQ(client.fetch({id_of(1)}).entries.at(0).state, proto::result_state::expired);
    const auto again = client.submit({task(1)});  // a client back late, its ACCEPTED lost
    EXPECT_TRUE(worker.quiet_for(0.3)) << "the task ran twice";
    ASSERT_EQ(again.refused.size(), 1u);
    EXPECT_EQ(again.refused[0].error.type, "result_expired");
}

}  // namespace
