// The broker with Redis, driven in-process on a manual clock (tests/support/broker_harness.hpp):
// every answer that waits for Redis is awaited (the loop runs, the clock standing still, until
// the broker has nothing on its way to Redis), and a restart is a new broker core on the same
// Redis.
//
// First the model-based test (tests/support/broker_model.hpp) with Redis: the random sequences
// of tests/unit/broker/broker_model_test.cpp plus restarts, where the new broker recovers from
// Redis what was unfinished (queued, running, held, dead letters) while results are Redis's
// alone, checked after every step; one redis-server for the test, emptied before each
// sequence. Replay a failure: SHOAL_MODEL_SEED=<seed> [SHOAL_MODEL_VERBOSE=1]
// integration_broker_model_durable_test --gtest_filter='*Random*'; more sequences:
// SHOAL_MODEL_SEQUENCES=<n>. Then the regressions it found, each as the shortest story that
// shows it.

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker_harness.hpp"
#include "broker_model.hpp"
#include "redis/redis_server.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;
using shoal::broker::testing::model::model_options;
using shoal::broker::testing::model::run_sequences;
using shoal::testing::redis_server;
using shoal::testing::redis_server_options;

TEST(BrokerModelDurable, RandomSequencesWithRestartsAgreeWithTheModel) {
    redis_server_options server_options;
    server_options.appendonly = false;  // the broker restarts, Redis does not
    redis_server redis(server_options);
    model_options options;
    options.redis = redis.url();
    options.before_each = [&redis] { redis.command({"FLUSHALL"}); };
    run_sequences(2'000'001, 200, options);
}

// Runs the loop until the broker has nothing on its way to Redis.
void settle(broker_harness& h) {
    for (int i = 0; i < 200'000 && !h.core().durable_idle(); ++i) {
        h.run_once();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ASSERT_TRUE(h.core().durable_idle()) << "Redis work did not settle";
}

broker_config durable_config(const redis_server& redis) {
    broker_config c = harness_config();
    c.redis = redis.url();
    c.redis_timeout_ms = 60'000;
    return c;
}

// Seed 2000025: a task that ended before a restart and is submitted again (the same body)
// afterwards, while no registered worker offers its name, is answered from the result Redis
// stored, not failed as unknown_task (which told the client a result other than the one
// stored, and counted a new task).
TEST(BrokerModelDurable, ARepeatedSubmitAfterARestartIsAnsweredFromTheStoredResult) {
    redis_server_options server_options;
    server_options.appendonly = false;
    redis_server redis(server_options);
    {
        broker_harness h(durable_config(redis));
        settle(h);
        h.hello_client("c");
        h.hello_worker("w", {"add"});
        h.send("w", proto::ready{1});
        h.send("c", proto::submit{{task(1)}, {}});
        settle(h);
        EXPECT_EQ(h.take<proto::accepted>("c").ids.size(), 1u);
        const auto d = h.take<proto::dispatch>("w");
        ASSERT_EQ(d.tasks.size(), 1u);
        proto::done done;
        done.finished.push_back({proto::outcome{id_of(1), proto::task_status::ok, "stored", {}},
                                 d.tasks[0].attempt,
                                 {}});
        h.send("w", done);
        settle(h);
        ASSERT_EQ(h.results("c").size(), 1u);
    }
    broker_harness h(durable_config(redis));  // a restart: only Redis remembers task 1
    settle(h);
    h.hello_client("c");
    h.hello_worker("w", {"mul"});  // a worker, but none offers "add"
    // Another body under that id is a conflict, whatever the workers offer.
    auto other = task(1);
    other.payload = "\x92\x03\x04";
    h.send("c", proto::submit{{other}, {}});
    settle(h);
    const auto refused = h.take<proto::accepted>("c");
    EXPECT_TRUE(refused.ids.empty());
    ASSERT_EQ(refused.refused.size(), 1u);
    EXPECT_EQ(refused.refused[0].error.type, "conflict");
    EXPECT_TRUE(h.results("c").empty());
    // The same body is answered with the stored result.
    h.send("c", proto::submit{{task(1)}, {}});
    settle(h);
    const auto accepted = h.take<proto::accepted>("c");
    EXPECT_EQ(accepted.ids, std::vector<proto::task_id>{id_of(1)});
    EXPECT_TRUE(accepted.refused.empty());
    const auto r = h.results("c");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, proto::task_status::ok) << r[0].error.type;
    EXPECT_EQ(r[0].payload, "stored");
    EXPECT_EQ(h.stats().submitted, 0u);
    EXPECT_EQ(h.stats().duplicates, 1u);
    EXPECT_EQ(h.stats().unknown_task, 0u);
}

// Seed 2000038: a dead letter recovered after a restart kept seq 0 instead of its task's, so
// once requeued it was not "live" to the queues (their record of a revoked task is told apart
// by its seq): behind it in its lane, a revoked task made the lane count one stale record, and
// the requeued task was dropped in its stead (never run, pending forever) while the revoked
// one was dispatched.
TEST(BrokerModelDurable, ARecoveredDeadLetterRequeuedRunsAndARevokedTaskDoesNot) {
    redis_server_options server_options;
    server_options.appendonly = false;
    redis_server redis(server_options);
    broker_config config = durable_config(redis);
    config.max_attempts = 1;  // the first death sets a task aside
    {
        broker_harness h(config);
        settle(h);
        h.hello_client("c");
        h.hello_worker("doomed", {"add"});
        h.send("doomed", proto::ready{1});
        h.send("c", proto::submit{{task(1)}, {}});
        settle(h);
        ASSERT_EQ(h.take<proto::dispatch>("doomed").tasks.size(), 1u);
        h.send("doomed", proto::bye{"gone"});  // presumed started: a death, a dead letter
        settle(h);
        ASSERT_EQ(h.stats().dead_lettered, 1u);
    }
    broker_harness h(config);  // a restart: task 1 comes back as a dead letter
    settle(h);
    ASSERT_EQ(h.stats().recovered, 1u);
    h.hello_client("c");
    h.send("c", proto::requeue{{id_of(1)}});
    settle(h);
    EXPECT_EQ(h.take<proto::accepted>("c").ids, std::vector<proto::task_id>{id_of(1)});
    h.send("c", proto::submit{{task(2)}, {}});  // queued behind task 1 in its lane...
    settle(h);
    h.take<proto::accepted>("c");
    h.send("c", proto::revoke{{id_of(2)}, false});  // ...and revoked there
    settle(h);
    ASSERT_EQ(h.results("c").size(), 1u);
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{2});
    settle(h);
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 1u) << "the revoked task was dispatched too";
    EXPECT_EQ(d.tasks[0].id, id_of(1));
}

// Seed 2000435: what a task cost so far survives a restart. A retry decided before the
// restart (the task waiting out its retry delay) still counts after it: a task with
// max_retries 1 ran three times.
TEST(BrokerModelDurable, ARetryDecidedBeforeARestartStillCounts) {
    redis_server_options server_options;
    server_options.appendonly = false;
    redis_server redis(server_options);
    const broker_config config = durable_config(redis);
    constexpr std::uint64_t wall = 1'700'000'000'000;  // the same wall clock for both brokers
    auto t = task(1);
    t.options.max_retries = 1;
    t.options.retry_delay_ms = 110;
    t.options.retry_jitter = false;
    const auto fail_it = [](broker_harness& h, std::uint32_t attempt) {
        const auto d = h.take<proto::dispatch>("w");
        ASSERT_EQ(d.tasks.size(), 1u);
        EXPECT_EQ(d.tasks[0].attempt, attempt);
        proto::done done;
        done.finished.push_back(
            {proto::outcome{id_of(1), proto::task_status::failed, {}, {"E1", "no", "w"}},
             attempt,
             {}});
        h.send("w", done);
        settle(h);
    };
    {
        broker_harness h(config, wall);
        settle(h);
        h.hello_client("c");
        h.hello_worker("w", {"add"});
        h.send("w", proto::ready{1});
        h.send("c", proto::submit{{t}, {}});
        settle(h);
        fail_it(h, 1);  // retried: waits 110 ms
        ASSERT_EQ(h.stats().retried, 1u);
    }
    broker_harness h(config, wall);
    settle(h);
    h.hello_client("c");
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{2});
    h.advance(0.2);
    settle(h);
    fail_it(h, 2);  // its one retry was spent: it ends failed
    EXPECT_EQ(h.stats().retried, 0u);
    h.advance(1.0);
    settle(h);
    EXPECT_FALSE(h.has_mail("w")) << "run a third time";
    EXPECT_EQ(h.stats().completed, 1u);
}

// And REQUEUE's fresh start survives one: a requeued dead letter did not come back from a
// restart with the deaths that made it a dead letter (it was set aside again at its next
// death, not after max_attempts).
TEST(BrokerModelDurable, ARequeuedDeadLetterStartsOverAfterARestart) {
    redis_server_options server_options;
    server_options.appendonly = false;
    redis_server redis(server_options);
    broker_config config = durable_config(redis);
    config.max_attempts = 2;
    const auto die_with_it = [](broker_harness& h, std::uint32_t attempt) {
        h.hello_worker("w", {"add"});
        h.send("w", proto::ready{1});
        settle(h);
        const auto d = h.take<proto::dispatch>("w");
        ASSERT_EQ(d.tasks.size(), 1u);
        EXPECT_EQ(d.tasks[0].attempt, attempt);
        h.send("w", proto::started{{{id_of(1), attempt}}});
        h.send("w", proto::bye{"crashed"});
        h.silence("w");
        settle(h);
    };
    {
        broker_harness h(config);
        settle(h);
        h.hello_client("c");
        h.send("c", proto::submit{{task(1)}, {}});
        settle(h);
        die_with_it(h, 1);
        die_with_it(h, 2);
        ASSERT_EQ(h.stats().dead_lettered, 1u);
        h.send("c", proto::requeue{{id_of(1)}});  // its deaths start over
        settle(h);
    }
    broker_harness h(config);
    settle(h);
    die_with_it(h, 3);  // one death: run again, not set aside
    EXPECT_EQ(h.stats().dead_lettered, 0u);
    EXPECT_EQ(h.stats().requeued, 1u);
}

}  // namespace
