// The broker with Redis (a real redis-server per test, started by the fixture): tasks stored
// before ACCEPTED, results stored once (first write wins) and pushed after, recovery by a
// broker started again, idempotence across restarts, leases, Redis going away and coming
// back, and clear failures at startup. Raw SHOAL/1 peers drive an embedded broker, so every
// message is the test's choice.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "broker_time.hpp"
#include "durable/durable_records.hpp"
#include "durable/durable_store.hpp"
#include "manual_clock.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "redis/redis_sync.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
using shoal::testing::redis_server;
using shoal::testing::redis_server_options;
using shoal::testing::wait_until;
namespace proto = shoal::proto;

class DurableBroker : public ::testing::Test {
  protected:
    broker_config config() const {
        broker_config c = fast_config();
        c.redis = redis.url();
        c.redis_result_ttl_s = 600;
        c.redis_timeout_ms = 500;
        c.task_routes = routes;
        return c;
    }
    void start_broker() {
        broker = std::make_unique<embedded_broker>(config(), time_source);
        client = std::make_unique<test_peer>(ctx, broker->endpoint());
        client->hello_client();
    }
    void restart_broker() {
        client.reset();
        broker.reset();
        start_broker();
    }
    std::unique_ptr<test_peer> worker(std::uint32_t credit = 10) {
        auto w = std::make_unique<test_peer>(ctx, broker->endpoint());
        w->hello_worker({"add"}, 1, 100);
        w->send(proto::ready{credit});
        return w;
    }
    std::string stored_task(std::uint32_t n) {
        return redis.command({"HEXISTS", tasks_key, id_of(n).to_hex()});
    }
    std::string stored_result(std::uint32_t n) {
        return redis.command({"GET", result_key(id_of(n))});
    }

    redis_server redis;
    std::string routes;  // the route table of brokers started from now on
    // Brokers started from now on run on it if a test sets it (time_source = &clock).
    shoal::testing::manual_clock clock;
    const shoal::clock* time_source = nullptr;
    zmq::context_t ctx;
    std::unique_ptr<embedded_broker> broker;
    std::unique_ptr<test_peer> client;
};

TEST_F(DurableBroker, ATaskIsStoredWhenAcceptedAndItsResultReplacesIt) {
    start_broker();
    const auto a = client->submit({task(1)});
    ASSERT_EQ(a.ids.size(), 1u);
    EXPECT_EQ(stored_task(1), "1") << "ACCEPTED came before Redis had the task";

    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    // The lease is recorded in the same wake-up's pipeline, right after the DISPATCH left.
    EXPECT_TRUE(wait_until(
        [&] {
            return redis.command({"HGET", leases_key, id_of(1).to_hex()}) == "1";
        },
        reply_deadline_s));
    w->done_ok(d.tasks, 1);
    const auto results = client->results(1);
    ASSERT_EQ(results.size(), 1u);
    // The RESULT came after Redis stored it: the record is there, the task and lease gone.
    const std::string stored = stored_result(1);
    ASSERT_NE(stored, "(nil)");
    EXPECT_EQ(decode_result_record(stored).outcome.payload, "\x92\x01\x02");
    EXPECT_EQ(stored_task(1), "0");
    EXPECT_EQ(redis.command({"HEXISTS", leases_key, id_of(1).to_hex()}), "0");
    const int ttl = std::stoi(redis.command({"TTL", result_key(id_of(1))}));
    EXPECT_GT(ttl, 590);
    EXPECT_LE(ttl, 600);
}

TEST_F(DurableBroker, ATaskKeepsItsQueueAcrossARestartAlsoOneTheRouteTableChose) {
    routes = "add=gpu";
    start_broker();
    proto::submitted_task io = task(2);
    io.queue = "io";
    ASSERT_EQ(client->submit({task(1), io}).ids.size(), 2u);  // task 1 names no queue: gpu
    routes.clear();  // the broker started again has no table: the stored queue stands
    restart_broker();
    auto plain = worker();  // consumes default
    std::map<std::string, std::int64_t> lengths;
    for (const auto& row : client->inspect("queues").rows)
        lengths[str_field(row, "name")] = int_field(row, "length");
    EXPECT_EQ(lengths["gpu"], 1);
    EXPECT_EQ(lengths["io"], 1);
    EXPECT_EQ(lengths["default"], 0);
    // The same SUBMIT again is the same task, whatever the table says now.
    const auto again = client->submit({task(1)});
    EXPECT_EQ(again.ids, std::vector<proto::task_id>{id_of(1)});
    EXPECT_TRUE(again.refused.empty());

    test_peer consumer(ctx, broker->endpoint());
    consumer.hello_worker_of({"gpu", "io"}, {"add"}, 2, 0, "gpu-io");
    consumer.send(proto::ready{2});
    std::set<proto::task_id> got;
    while (got.size() < 2) {
        const auto d = consumer.expect<proto::dispatch>();
        if (d.tasks.empty()) break;  // expect() failed the test
        for (const auto& t : d.tasks) got.insert(t.id);
    }
    EXPECT_EQ(got, (std::set<proto::task_id>{id_of(1), id_of(2)}));
    EXPECT_TRUE(plain->quiet_for(0.1));  // nothing of gpu or io reached the default worker
}

TEST_F(DurableBroker, ABrokerStartedAgainRunsWhatWasQueuedAndServesStoredResults) {
    start_broker();
    client->submit({task(1), task(2), task(3)});
    {
        auto w = worker(1);
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.size(), 1u);
        ASSERT_EQ(d.tasks[0].id, id_of(1));
        w->done_ok(d.tasks, 0);
        ASSERT_EQ(client->results(1).size(), 1u);
        w->send(proto::bye{"done"});
    }
    restart_broker();
    // Task 1's result comes from Redis; 2 and 3 are queued again and run.
    auto f = client->fetch({id_of(1), id_of(2), id_of(99)});
    std::map<proto::task_id, proto::fetched_entry> by_id;
    for (int round = 0; round < 2 && by_id.size() < 3; ++round) {
        for (auto& e : f.entries) by_id[e.id] = e;
        if (by_id.size() < 3) f = client->expect<proto::fetched>();
    }
    ASSERT_EQ(by_id.size(), 3u);
    EXPECT_EQ(by_id[id_of(1)].state, proto::result_state::done);
    ASSERT_TRUE(by_id[id_of(1)].result.has_value());
    EXPECT_EQ(by_id[id_of(1)].result->payload, "\x92\x01\x02");
    EXPECT_EQ(by_id[id_of(2)].state, proto::result_state::pending);
    EXPECT_EQ(by_id[id_of(99)].state, proto::result_state::unknown);

    auto w = worker();
    std::vector<proto::dispatched_task> got;
    while (got.size() < 2) {
        const auto d = w->expect<proto::dispatch>();
        got.insert(got.end(), d.tasks.begin(), d.tasks.end());
    }
    EXPECT_EQ(got[0].id, id_of(2));
    EXPECT_EQ(got[1].id, id_of(3));
    EXPECT_EQ(got[0].attempt, 1u);
    w->done_ok(got, 2);
    // The asking client hears of task 2 (it FETCHed it while pending).
    EXPECT_EQ(client->results(1).at(0).id, id_of(2));
    EXPECT_TRUE(wait_until([&] { return stored_result(3) != "(nil)"; }, reply_deadline_s));
    EXPECT_EQ(redis.command({"HLEN", tasks_key}), "0");
}

TEST_F(DurableBroker, RevocationsSurviveARestart) {
    start_broker();
    auto held = task(1);
    held.options.countdown_ms = 60'000;        // held by the broker
    client->submit({held, task(2), task(3)});  // 2 and 3 queued: no worker yet
    client->send(proto::revoke{{id_of(1), id_of(2)}, false});
    const auto told = client->results(2);
    for (const auto& o : told) EXPECT_EQ(o.status, proto::task_status::revoked);
    // Stored as results, the task records gone: a restarted broker does not run them.
    EXPECT_EQ(decode_result_record(stored_result(1)).outcome.status, proto::task_status::revoked);
    EXPECT_EQ(decode_result_record(stored_result(2)).outcome.status, proto::task_status::revoked);
    EXPECT_EQ(stored_task(1), "0");
    EXPECT_EQ(stored_task(3), "1");
    restart_broker();
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(3));
    EXPECT_TRUE(w->quiet_for(0.3));
    const auto f = client->fetch({id_of(1), id_of(2)});
    ASSERT_EQ(f.entries.size(), 2u);
    for (const auto& e : f.entries) {
        EXPECT_EQ(e.state, proto::result_state::done);
        ASSERT_TRUE(e.result.has_value());
        EXPECT_EQ(e.result->status, proto::task_status::revoked);
    }
}

TEST_F(DurableBroker, AHeldTaskKeepsItsEtaAcrossARestart) {
    // On a manual clock: the eta comes when the test moves time, not after however long a
    // busy machine takes to restart the broker (1.5 s on real time could pass first). An eta
    // is wall-clock time, turned into the clock's when the broker reads or recovers the
    // task, so the margins cover the real time until the restarted broker has it: up to 10 s.
    time_source = &clock;
    start_broker();
    auto later = task(1);
    const auto eta = std::chrono::system_clock::now() + std::chrono::seconds(18);
    later.options.eta_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(eta.time_since_epoch()).count());
    client->submit({later});
    restart_broker();
    auto w = worker();
    EXPECT_TRUE(w->quiet_for(0.3));  // still held after the restart
    // Each step shorter than the liveness window (20 s), so that nobody dies of it.
    advance(*broker, clock, 8);
    EXPECT_EQ(int_field(client->inspect("stats").rows.at(0), "held"), 1)
        << "released before its eta";
    advance(*broker, clock, 11);
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(1));
}

TEST_F(DurableBroker, ATaskThatWasRunningWhenTheBrokerStoppedRunsAgainAsTheNextAttempt) {
    start_broker();
    client->submit({task(1)});
    {
        auto w = worker();
        ASSERT_EQ(w->expect<proto::dispatch>().tasks.at(0).attempt, 1u);
        ASSERT_TRUE(wait_until(
            [&] {
                return redis.command({"HGET", leases_key, id_of(1).to_hex()}) == "1";
            },
            reply_deadline_s));
        restart_broker();  // the worker never reports
    }
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(1));
    EXPECT_EQ(d.tasks[0].attempt, 2u);
}

TEST_F(DurableBroker, ARepeatedSubmitAfterARestartIsAnsweredFromTheStoredResult) {
    start_broker();
    client->submit({task(1)});
    {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        w->done_ok(d.tasks, 1);
        ASSERT_EQ(client->results(1).size(), 1u);
        w->send(proto::bye{"done"});
    }
    restart_broker();
    auto w = worker();
    // Same id, same body: accepted, answered from Redis, not run again.
    const auto again = client->submit({task(1)});
    ASSERT_EQ(again.ids.size(), 1u);
    EXPECT_TRUE(again.refused.empty());
    const auto results = client->results(1);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].payload, "\x92\x01\x02");
    EXPECT_TRUE(w->quiet_for(0.3)) << "a finished task was dispatched again";
    // Same id, another body: refused, and the stored result is untouched.
    const auto other = client->submit({task(1, "add", "\x92\x05\x05")});
    ASSERT_EQ(other.refused.size(), 1u);
    EXPECT_EQ(other.refused[0].error.type, "conflict");
    EXPECT_EQ(decode_result_record(stored_result(1)).outcome.payload, "\x92\x01\x02");
}

TEST_F(DurableBroker, AConflictWithATaskStoredBeforeTheRestartIsRefused) {
    start_broker();
    client->submit({task(1)});  // no worker: stays queued
    restart_broker();
    const auto same = client->submit({task(1)});
    EXPECT_EQ(same.ids.size(), 1u);
    const auto other = client->submit({task(1, "add", "\x92\x07\x07")});
    ASSERT_EQ(other.refused.size(), 1u);
    EXPECT_EQ(other.refused[0].error.type, "conflict");
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].payload, "\x92\x01\x02");
    EXPECT_TRUE(w->quiet_for(0.3)) << "the task ran twice";
}

TEST_F(DurableBroker, WhileRedisIsDownSubmitsAreRefusedRetryablyAndAcceptedOnceItIsBack) {
    start_broker();
    auto w = worker();
    redis.stop();
    std::uint32_t n = 100;
    proto::accepted refused;
    ASSERT_TRUE(wait_until(
        [&] {
            refused = client->submit({task(++n)});
            return refused.refused.size() == 1;
        },
        reply_deadline_s));
    EXPECT_EQ(refused.refused[0].error.type, "unavailable");
    EXPECT_NE(refused.refused[0].error.message.find("submit again later"), std::string::npos);
    const auto stats = client->inspect("stats");
    EXPECT_NE(str_field(stats.rows.at(0), "redis"), "up");

    redis.restart();
    proto::accepted accepted;
    ASSERT_TRUE(wait_until(
        [&] {
            accepted = client->submit({task(++n)});
            return accepted.ids.size() == 1;
        },
        10.0))
        << "the broker did not reconnect to Redis by itself";
    EXPECT_EQ(str_field(client->inspect("stats").rows.at(0), "redis"), "up");
    // What was refused was not stored, and runs nowhere; what was accepted runs.
    EXPECT_EQ(stored_task(101), "0");
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(n));
}

TEST_F(DurableBroker, ResultsFinishedWhileRedisIsDownAreStoredAndToldOnceItIsBack) {
    start_broker();
    client->submit({task(1)});
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    redis.stop();
    w->done_ok(d.tasks, 1);
    // Not told before it is stored.
    EXPECT_TRUE(client->quiet_for(0.5));
    redis.restart();
    const auto results = client->results(1, 10.0);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_NE(stored_result(1), "(nil)");
    EXPECT_EQ(stored_task(1), "0");
}

TEST_F(DurableBroker, AUnixSocketServesAsWellAsTcp) {
    broker_config c = config();
    c.redis = redis.unix_url();
    embedded_broker b(c);
    test_peer peer(ctx, b.endpoint());
    peer.hello_client();
    ASSERT_EQ(peer.submit({task(1)}).ids.size(), 1u);
    EXPECT_EQ(stored_task(1), "1");
}

TEST_F(DurableBroker, StartingWithoutAReachableRedisFailsWithAClearMessage) {
    broker_config c = config();
    redis.stop();
    try {
        embedded_broker b(c);
        FAIL() << "the broker started without its Redis";
    } catch (const broker_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot connect to Redis"), std::string::npos)
            << e.what();
    }
}

TEST(DurableBrokerStartup, AWrongPasswordFailsWithAClearMessage) {
    redis_server_options o;
    o.password = "right";
    redis_server redis(o);
    broker_config c = fast_config();
    c.redis = "redis://:wrong@127.0.0.1:" + std::to_string(redis.port());
    try {
        embedded_broker b(c);
        FAIL() << "the broker started with a wrong password";
    } catch (const broker_error& e) {
        EXPECT_NE(std::string(e.what()).find("refused the password"), std::string::npos)
            << e.what();
    }
    c.redis = redis.url();
    embedded_broker ok(c);  // the right one works
    EXPECT_FALSE(ok.endpoint().empty());
}

TEST(DurableBrokerStartup, RedisSettingsThatCouldLoseOrEvictTasksAreWarnedAbout) {
    redis_server_options risky;
    risky.appendonly = false;
    risky.maxmemory_policy = "allkeys-lru";
    redis_server bad(risky);
    redis_sync to_bad(parse_redis_url(bad.url()), 2.0);
    const auto warnings = durability_warnings(to_bad);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find("maxmemory-policy is 'allkeys-lru'"), std::string::npos);
    EXPECT_NE(warnings[1].find("persistence off"), std::string::npos);

    // appendonly yes, everysec: said once what a power cut loses, and what to set instead.
    redis_server everysec;
    redis_sync to_everysec(parse_redis_url(everysec.url()), 2.0);
    const auto told = durability_warnings(to_everysec);
    ASSERT_EQ(told.size(), 1u);
    EXPECT_NE(told[0].find("appendfsync is 'everysec': a power cut may lose about the last second"),
              std::string::npos)
        << told[0];
    EXPECT_NE(told[0].find("appendfsync always"), std::string::npos) << told[0];

    redis_server_options strict;
    strict.appendfsync = "always";
    redis_server good(strict);  // appendonly yes, always, noeviction
    redis_sync to_good(parse_redis_url(good.url()), 2.0);
    EXPECT_TRUE(durability_warnings(to_good).empty());
}

}  // namespace
