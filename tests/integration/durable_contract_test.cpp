// The delivery contract with Redis (PROTOCOL.md 6, "Durable brokers"; broker/README.md,
// "Redis"), each case against a real redis-server started here and a broker restarted on it:
// nothing is shown before Redis stored it; dead letters, holds and death counts survive a
// restart; the dedup window outlives the result; results expire by a relative TTL.

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "durable/durable_records.hpp"
#include "durable/durable_store.hpp"
#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "shoal/broker/embedded_broker.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
using shoal::testing::redis_server;
using shoal::testing::wait_until;
namespace proto = shoal::proto;

class DurableContract : public ::testing::Test {
  protected:
    broker_config config() const {
        broker_config c = fast_config();
        c.liveness = 20;  // 1 s: a busy machine must not make live peers look dead
        c.redis = redis.url();
        c.redis_result_ttl_s = 600;
        c.redis_timeout_ms = 500;
        c.max_attempts = 2;
        return c;
    }
    void start_broker(broker_config c) {
        broker = std::make_unique<embedded_broker>(c);
        client = std::make_unique<test_peer>(ctx, broker->endpoint());
        client->hello_client();
        ops = std::make_unique<test_peer>(ctx, broker->endpoint());
        ops->hello_client("ops");  // inspects, so that the client's own messages stay its own
    }
    void start_broker() { start_broker(config()); }
    void restart_broker() {
        ops.reset();
        client.reset();
        broker.reset();
        start_broker();
    }
    std::unique_ptr<test_peer> worker(std::uint32_t slots = 1, std::uint32_t prefetch = 0) {
        auto w = std::make_unique<test_peer>(ctx, broker->endpoint());
        w->hello_worker({"add"}, slots, prefetch);
        w->send(proto::ready{slots + prefetch});
        return w;
    }
    // A worker that takes the task and dies with it (silent past its liveness).
    void kill_a_worker_running(const proto::task_id& id) {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.size(), 1u);
        ASSERT_EQ(d.tasks[0].id, id);
        w->go_silent();
        const auto deaths_before = int_field(ops->inspect("stats").rows.at(0), "workers_dead");
        ASSERT_TRUE(wait_until(
            [&] {
                return int_field(ops->inspect("stats").rows.at(0), "workers_dead") > deaths_before;
            },
            20.0));
    }

    redis_server redis;
    zmq::context_t ctx;
    std::unique_ptr<embedded_broker> broker;
    std::unique_ptr<test_peer> client;
    std::unique_ptr<test_peer> ops;
};

TEST_F(DurableContract, AResultIsShownToNobodyBeforeRedisHasStoredIt) {
    start_broker();
    client->submit({task(1)});
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    redis.pause();  // Redis hangs: the result cannot be stored
    w->done_ok(d.tasks, 1);
    test_peer other(ctx, broker->endpoint());
    other.hello_client("other");
    // Not pushed, not fetched, not answered to a repeated SUBMIT: a broker crash now would
    // forget it, and its re-run could give another value.
    EXPECT_EQ(other.fetch({id_of(1)}).entries.at(0).state, proto::result_state::pending);
    EXPECT_EQ(other.submit({task(1)}).ids.size(), 1u);
    EXPECT_TRUE(client->quiet_for(0.3));
    EXPECT_TRUE(other.quiet_for(0.3));
    redis.resume();
    EXPECT_EQ(client->results(1, 20.0).at(0).id, id_of(1));
    EXPECT_EQ(other.results(1, 20.0).at(0).id, id_of(1));
    EXPECT_NE(redis.command({"GET", result_key(id_of(1))}), "(nil)");
}

TEST_F(DurableContract, ADeadLetterKeepsItsCountAndReasonAcrossARestartAndDoesNotRunAgain) {
    start_broker();
    client->submit({task(1)});
    kill_a_worker_running(id_of(1));
    kill_a_worker_running(id_of(1));  // the delivery limit (2): set aside
    ASSERT_TRUE(wait_until([&] { return ops->inspect("dead").rows.size() == 1; }, 10.0));
    const auto before = ops->inspect("dead").rows.at(0);
    restart_broker();
    const auto dead = ops->inspect("dead");
    ASSERT_EQ(dead.rows.size(), 1u) << "the restart forgot the dead letter";
    EXPECT_EQ(str_field(dead.rows[0], "task"), id_of(1).to_hex());
    EXPECT_EQ(int_field(dead.rows[0], "deaths"), 2);
    EXPECT_EQ(str_field(dead.rows[0], "reason"), str_field(before, "reason"));
    auto w = worker();
    EXPECT_TRUE(w->quiet_for(0.5)) << "a dead letter ran again after the restart";
    // And it can still be run again on request, with its deaths starting over.
    client->send(proto::requeue{{id_of(1)}});
    EXPECT_EQ(client->expect<proto::accepted>().ids.size(), 1u);
    EXPECT_EQ(w->expect<proto::dispatch>().tasks.at(0).id, id_of(1));
    // Redis forgets the dead letter when the broker's HDEL lands, which it does not wait for.
    EXPECT_TRUE(wait_until(
        [&] {
            return redis.command({"HEXISTS", dead_key, id_of(1).to_hex()}) == "0";
        },
        10.0))
        << "the requeued task is still a dead letter in Redis";
}

TEST_F(DurableContract, ARevokedDeadLetterStaysOverAcrossARestart) {
    start_broker();
    client->submit({task(1), task(2)});  // 2 waits behind 1 in the same lane
    {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.at(0).id, id_of(1));
        w->go_silent();
        ASSERT_TRUE(wait_until(
            [&] { return int_field(ops->inspect("stats").rows.at(0), "workers_dead") == 1; },
            20.0));
    }
    // Task 1 (one death) runs again and dies again: a dead letter; then it is revoked.
    {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.at(0).id, id_of(1));
        w->go_silent();
        ASSERT_TRUE(wait_until([&] { return ops->inspect("dead").rows.size() == 1; }, 20.0));
    }
    client->send(proto::revoke{{id_of(1)}, false});
    ASSERT_TRUE(wait_until(
        [&] {
            return redis.command({"GET", result_key(id_of(1))}) != "(nil)";
        },
        10.0));
    restart_broker();
    EXPECT_TRUE(ops->inspect("dead").rows.empty());
    auto w = worker();
    const auto d = w->expect<proto::dispatch>();
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(2)) << "the lane behind the revoked dead letter";
    EXPECT_TRUE(w->quiet_for(0.3));
}

TEST_F(DurableContract, ACountdownAndARetryWaitKeepTheirWallClockTimeAcrossARestart) {
    start_broker();
    auto later = task(1);
    later.options.countdown_ms = 600'000;
    auto retried = task(2);
    retried.options.max_retries = 3;
    retried.options.retry_delay_ms = 600'000;
    retried.options.retry_jitter = false;
    client->submit({later, retried});
    {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        ASSERT_EQ(d.tasks.at(0).id, id_of(2));
        proto::done failed;
        failed.finished.push_back(
            {{id_of(2), proto::task_status::failed, "", {"std::runtime_error", "once", "w"}},
             1,
             {}});
        failed.credit = 1;
        w->send(failed);
        ASSERT_TRUE(wait_until([&] { return ops->inspect("held").rows.size() == 2; }, 10.0));
    }
    std::map<std::string, std::int64_t> due;
    for (const auto& row : ops->inspect("held").rows)
        due[str_field(row, "task")] = int_field(row, "due_unix_ms");
    restart_broker();
    const auto held = ops->inspect("held");
    ASSERT_EQ(held.rows.size(), 2u);
    for (const auto& row : held.rows) {
        const std::string id = str_field(row, "task");
        // The same wall-clock time, not a countdown started again at the restart.
        EXPECT_NEAR(static_cast<double>(int_field(row, "due_unix_ms")),
                    static_cast<double>(due[id]), 50.0)
            << id;
        if (id == id_of(2).to_hex()) {
            EXPECT_EQ(int_field(row, "attempt"), 2);
        }
    }
}

TEST_F(DurableContract, ADedupWindowLongerThanTheRedisTtlRemembersAFinishedTaskAcrossARestart) {
    auto c = config();
    c.redis_result_ttl_s = 1;
    c.dedup_window_s = 600;
    start_broker(c);
    client->submit({task(1)});
    {
        auto w = worker();
        const auto d = w->expect<proto::dispatch>();
        w->done_ok(d.tasks, 1);
        ASSERT_EQ(client->results(1).size(), 1u);
        w->send(proto::bye{"done"});
    }
    // Redis forgets the result after its TTL; the window keeps the task's id.
    ASSERT_TRUE(wait_until(
        [&] {
            return redis.command({"EXISTS", result_key(id_of(1))}) == "0";
        },
        20.0));
    ops.reset();
    client.reset();
    broker.reset();
    start_broker(c);
    auto w = worker();
    const auto again = client->submit({task(1)});
    ASSERT_EQ(again.refused.size(), 1u);
    EXPECT_EQ(again.refused[0].error.type, "result_expired");
    EXPECT_TRUE(w->quiet_for(0.3)) << "the task ran twice";
}

TEST(DurableContractClock, ResultsLiveTheirTtlEvenWhenTheBrokersClockIsADayBehind) {
    // A relative expiry (PX): the broker's wall clock does not decide how long Redis keeps a
    // result. Debian's libfaketime, preloaded, sets the broker's clock a day back (its steady
    // clock untouched); an absolute expiry (PXAT) would have expired the result before it was
    // written. (Preloaded through env, which execs: the faketime wrapper would fork, and the
    // test could not stop the broker it started.)
    // Under ASan the sanitizer's runtime is not first among the preloaded libraries, which it
    // refuses by default; libfaketime only wraps the clock calls, which ASan leaves alone.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string asan_options = std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") +
                                     (asan != nullptr && *asan != '\0' ? ":" : "") +
                                     "verify_asan_link_order=0";
    redis_server redis;
    shoal::testing::local_cluster cluster(
        {"--redis", redis.url(), "--redis-result-ttl-s", "600", "--log-level", "warn"},
        {"/usr/bin/env", "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
         "FAKETIME=-1d", "FAKETIME_DONT_FAKE_MONOTONIC=1", asan_options});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w");
    shoal::client client(cluster.endpoint());
    auto f = client.submit(shoal_examples::add, 1, 2);
    ASSERT_EQ(f.get(30.0), 3);
    const std::string ttl = redis.command({"PTTL", result_key(f.id())});
    EXPECT_GT(std::stoll(ttl), 300'000) << "PTTL " << ttl;
}

}  // namespace
