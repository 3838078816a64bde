// --redis-wait-replicas (broker/README.md, "Redis Sentinel"): "acknowledged" means on two
// machines. A real primary and a real replica, a real broker and worker: with the replica
// stopped (SIGSTOP), a task is refused unavailable, undone, and never runs; a result waits,
// written on the primary but not delivered, until the replica has it.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "redis/durability_checker.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::redis_server;
using shoal::testing::seen_task;
using shoal::testing::wait_until;

std::string result_key(const shoal::proto::task_id& id) { return "shoal:result:" + id.to_hex(); }

shoal::testing::redis_server_options fsync_always() {
    shoal::testing::redis_server_options o;
    o.appendfsync = "always";
    return o;
}

struct primary_and_replica {
    redis_server primary{fsync_always()};
    redis_server replica{fsync_always()};

    primary_and_replica() {
        replica.command({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
        const bool synced = wait_until(
            [&] {
                return primary.command({"INFO", "replication"}).find("state=online") !=
                       std::string::npos;
            },
            30.0);
        if (!synced) throw std::runtime_error("the replica did not sync");
    }
};

// A primary with its replica, a broker that waits for one replica, a worker and a client.
class RedisWaitReplicas : public ::testing::Test {
  protected:
    primary_and_replica redis;
    local_cluster c{{"--redis", redis.primary.url(), "--redis-wait-replicas", "1",
                     "--redis-timeout-ms", "1000", "--log-level", "info"}};
    std::size_t worker = c.add_worker("w1", {"--log-level", "warn"});
    shoal::client client{c.endpoint()};
};

TEST_F(RedisWaitReplicas, ATaskIsAcceptedOnlyOnceAReplicaHasIt) {
    ASSERT_TRUE(client.wait_connected(20.0));

    // With the replica there, everything runs, and every delivered result is on it.
    std::vector<shoal::remote_future<long>> first;
    for (long i = 1; i <= 200; ++i) first.push_back(client.submit(shoal_examples::add, i, i));
    for (long i = 1; i <= 200; ++i) {
        ASSERT_EQ(first[i - 1].get(60.0), 2 * i);
        EXPECT_NE(redis.replica.command({"GET", result_key(first[i - 1].id())}), "(nil)");
    }

    // The replica stopped: the primary takes the writes, no replica confirms them.
    redis.replica.pause();
    std::vector<shoal::remote_future<long>> refused;
    for (long i = 1; i <= 5; ++i) refused.push_back(client.submit(shoal_examples::add, i, 100));
    for (long i = 1; i <= 5; ++i) {
        const seen_task s = shoal::testing::record(refused[i - 1], i + 100, 60.0);
        ASSERT_EQ(s.how, seen_task::end::refused_unavailable) << s.error;
        EXPECT_NE(s.error.find("replicas"), std::string::npos) << s.error;
    }
    // Undone on the primary (the next write deletes them), and never run.
    EXPECT_TRUE(wait_until(
        [&] {
            return redis.primary.command({"HLEN", "shoal:tasks"}) == "0";
        },
        30.0))
        << redis.primary.command({"HLEN", "shoal:tasks"}) << " refused tasks left in Redis";
    for (const auto& f : refused) {
        EXPECT_EQ(redis.primary.command({"GET", result_key(f.id())}), "(nil)");
    }

    redis.replica.resume();
    std::vector<shoal::remote_future<long>> after;
    for (long i = 1; i <= 5; ++i) after.push_back(client.submit(shoal_examples::add, i, 1000));
    for (long i = 1; i <= 5; ++i) {
        ASSERT_EQ(after[i - 1].get(60.0), i + 1000);
        EXPECT_NE(redis.replica.command({"GET", result_key(after[i - 1].id())}), "(nil)");
    }
}

TEST_F(RedisWaitReplicas, AResultIsDeliveredOnlyOnceAReplicaHasIt) {
    ASSERT_TRUE(client.wait_connected(20.0));

    // Accepted (so on the replica) and running: then the replica stops.
    auto f = client.submit(shoal_examples::sleep, 2.0);
    ASSERT_TRUE(wait_until(
        [&] {
            return redis.primary.command({"HLEN", "shoal:leases"}) == "1";
        },
        30.0));
    redis.replica.pause();
    // The task ends and its result reaches the primary; the client must not see it yet.
    ASSERT_TRUE(wait_until(
        [&] {
            return redis.primary.command({"GET", result_key(f.id())}) != "(nil)";
        },
        60.0));
    EXPECT_FALSE(wait_until([&] { return f.done(); }, 2.0))
        << "a result was delivered that no replica had";
    redis.replica.resume();
    EXPECT_DOUBLE_EQ(f.get(60.0), 2.0);
    EXPECT_NE(redis.replica.command({"GET", result_key(f.id())}), "(nil)");
}

TEST(RedisWaitReplicasAlone, WithoutEnoughReplicasTheBrokerSaysSoAndRefusesTasks) {
    redis_server alone;
    // It says so when it starts (run for a few seconds, its log read whole).
    const auto started = shoal::testing::run_merged(
        {"/usr/bin/timeout", "-s", "INT", "4", shoal::testing::cluster_paths::broker(), "--bind",
         "tcp://127.0.0.1:0", "--redis", alone.url(), "--redis-wait-replicas", "1"},
        30.0);
    EXPECT_NE(started.out.find("Redis has 0 replicas connected and redis_wait_replicas is 1"),
              std::string::npos)
        << started.out;
    // And refuses tasks, saying why.
    local_cluster c({"--redis", alone.url(), "--redis-wait-replicas", "1", "--redis-timeout-ms",
                     "1000", "--log-level", "warn"});
    ASSERT_FALSE(c.endpoint().empty());
    shoal::client client(c.endpoint());
    ASSERT_TRUE(client.wait_connected(20.0));
    const seen_task s = shoal::testing::record(client.submit(shoal_examples::add, 1L, 2L), 3, 60.0);
    EXPECT_EQ(s.how, seen_task::end::refused_unavailable) << s.error;
    EXPECT_NE(s.error.find("confirmed by 0 of 1 replicas"), std::string::npos) << s.error;
}

}  // namespace
