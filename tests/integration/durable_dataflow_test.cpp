// Futures as arguments with Redis (PROTOCOL.md section 6.5), against a real redis-server and a
// broker restarted on it: a dependent runs only on a result Redis has stored, and a restart
// brings back what waits for inputs, with the results of the inputs that finished before it.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "durable/durable_store.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
using shoal::testing::redis_server;
using shoal::testing::wait_until;
namespace proto = shoal::proto;

proto::submitted_task dependent(std::uint32_t n, std::string payload,
                                std::vector<proto::task_input> inputs) {
    proto::submitted_task t = task(n, "add", std::move(payload));
    t.options.inputs = std::move(inputs);
    return t;
}

class DurableDataflow : public ::testing::Test {
  protected:
    void start_broker() {
        broker_config c = fast_config();
        c.liveness = 20;
        c.redis = redis.url();
        c.redis_result_ttl_s = 600;
        c.redis_timeout_ms = 500;
        broker = std::make_unique<embedded_broker>(c);
        client = std::make_unique<test_peer>(ctx, broker->endpoint());
        client->hello_client();
    }
    void restart_broker() {
        client.reset();
        broker.reset();
        start_broker();
    }
    std::unique_ptr<test_peer> worker(std::uint32_t credit) {
        auto w = std::make_unique<test_peer>(ctx, broker->endpoint());
        w->hello_worker({"add"}, 1, 0);
        if (credit > 0) w->send(proto::ready{credit});
        return w;
    }
    void finish(test_peer& w, const proto::dispatched_task& t, std::string result,
                std::uint32_t credit) {
        proto::done d;
        d.finished.push_back(
            {proto::outcome{t.id, proto::task_status::ok, std::move(result), {}}, t.attempt, {}});
        d.credit = credit;
        w.send(d);
    }

    // Waits (bounded) until Redis holds the task's result.
    bool stored_in_redis(const proto::task_id& id) {
        return wait_until([&] { return redis.command({"EXISTS", result_key(id)}) == "1"; }, 20.0);
    }

    redis_server redis;
    zmq::context_t ctx;
    std::unique_ptr<embedded_broker> broker;
    std::unique_ptr<test_peer> client;
};

TEST_F(DurableDataflow, ADependentRunsOnlyOnAResultRedisHasStored) {
    start_broker();
    client->submit({task(1), dependent(2, "\x91\xc0", {{0, {id_of(1)}, false}})});
    auto w = worker(2);
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    redis.pause();  // 1's result cannot be stored
    finish(*w, d.tasks[0], "\x07", 1);
    EXPECT_TRUE(w->quiet_for(0.5)) << "the dependent ran on a result Redis did not have";
    redis.resume();
    const auto next = w->expect<proto::dispatch>(20.0);
    ASSERT_EQ(next.tasks.size(), 1u);
    EXPECT_EQ(next.tasks[0].id, id_of(2));
    EXPECT_EQ(next.tasks[0].payload, "\x91\x07");
}

TEST_F(DurableDataflow, ARestartKeepsTheDependentWaitingForAnInputStillPending) {
    start_broker();
    client->submit({task(1), dependent(2, "\x92\xc0\x05", {{0, {id_of(1)}, false}})});
    restart_broker();
    EXPECT_EQ(int_field(client->inspect("stats").rows.at(0), "waiting_for_inputs"), 1);
    auto w = worker(1);
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.at(0).id, id_of(1));
    finish(*w, d.tasks[0], "\x03", 1);
    const auto next = w->expect<proto::dispatch>(20.0);
    EXPECT_EQ(next.tasks.at(0).id, id_of(2));
    EXPECT_EQ(next.tasks.at(0).payload, "\x92\x03\x05");
}

TEST_F(DurableDataflow, ARestartReadsBackTheResultsOfInputsThatFinishedBeforeIt) {
    start_broker();
    // 3 waits for 1 (which finishes before the restart) and 2 (which does not): a list input.
    client->submit({task(1), task(2), dependent(3, "\x91\xc0", {{0, {id_of(1), id_of(2)}, true}})});
    {
        auto w = worker(1);
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.at(0).id, id_of(1));
        finish(*w, d.tasks[0], "\x0b", 0);  // no more credit: 2 stays queued
        ASSERT_TRUE(stored_in_redis(id_of(1)));
    }
    restart_broker();
    auto w = worker(1);
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.at(0).id, id_of(2));
    finish(*w, d.tasks[0], "\x0c", 1);
    const auto next = w->expect<proto::dispatch>(20.0);
    EXPECT_EQ(next.tasks.at(0).id, id_of(3));
    EXPECT_EQ(next.tasks.at(0).payload, "\x91\x92\x0b\x0c");
}

TEST_F(DurableDataflow, AnInputWhoseResultIsGoneFailsTheDependentAtRecovery) {
    start_broker();
    client->submit({task(1), dependent(2, "\x91\xc0", {{0, {id_of(1)}, false}})});
    {
        auto w = worker(1);
        finish(*w, w->expect<proto::dispatch>().tasks.at(0), "\x01", 0);
        ASSERT_TRUE(stored_in_redis(id_of(1)));
    }
    // 2 was queued with 1's result; a restart would read it back. Remove it to see the
    // dependent fail with the reason rather than run with a nil.
    client.reset();
    broker.reset();
    redis.command({"DEL", result_key(id_of(1))});
    start_broker();
    // Failed at recovery, the dependent's outcome is told once Redis has stored it: pending
    // until then (a busy machine can take a while).
    proto::fetched f;
    ASSERT_TRUE(wait_until(
        [&] {
            f = client->fetch({id_of(2)});
            return f.entries.at(0).state != proto::result_state::pending;
        },
        30.0));
    ASSERT_EQ(f.entries.at(0).state, proto::result_state::done);
    EXPECT_EQ(f.entries[0].result->error.type, "shoal::input_failed");
    EXPECT_NE(f.entries[0].result->error.message.find("no longer stored"), std::string::npos);
}

}  // namespace
