// The broker's Redis through Sentinel (broker/README.md, "Redis Sentinel"): three real Redis
// servers (a primary, two replicas, AOF always) and three real sentinels; a real broker given
// only the sentinels, two real workers, a client. The primary is killed (SIGKILL) while tasks
// stream in: the sentinels promote a replica, and the broker must follow it by itself, never
// write to a replica, and lose no task it accepted (one stored result per id, on the new
// primary).

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "redis/durability_checker.hpp"
#include "redis/durable_cluster.hpp"
#include "redis/sentinel_cluster.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::sentinel_cluster;
using shoal::testing::wait_until;
using clock_type = std::chrono::steady_clock;

struct stream_of_adds {
    std::vector<shoal::remote_future<long>> futures;
    std::vector<long> expected;
    long next = 1;

    void submit(shoal::client& client, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) {
            const long i = next++;
            futures.push_back(client.submit(shoal_examples::add, i, i));
            expected.push_back(2 * i);
        }
    }
};

TEST(RedisSentinelFailover, TheBrokerFollowsThePromotedReplicaAndLosesNoAcceptedTask) {
    sentinel_cluster redis;
    local_cluster c({"--redis", redis.url(), "--redis-timeout-ms", "1000", "--heartbeat-ms", "100",
                     "--liveness", "20", "--log-level", "info"});
    ASSERT_FALSE(c.endpoint().empty());
    c.add_worker("w1", {"--log-level", "warn"});
    c.add_worker("w2", {"--log-level", "warn"});
    shoal::client_options o;
    o.reconnect_max_s = 0.5;
    o.fetch_poll_max_s = 0.5;
    shoal::client client(c.endpoint(), o);
    ASSERT_TRUE(client.wait_connected(20.0));

    stream_of_adds s;
    s.submit(client, 2000);
    ASSERT_TRUE(wait_until(
        [&] {
            return std::all_of(s.futures.begin(), s.futures.end(),
                               [](const auto& f) { return f.done(); });
        },
        60.0));
    const int first = redis.primary_port();
    ASSERT_EQ(first, redis.server(0).port());
    // Written to the primary the sentinels named (and replicated from it).
    EXPECT_NE(redis.server(0).command({"GET", "shoal:result:" + s.futures.front().id().to_hex()}),
              "(nil)");

    redis.server_on(first)->kill9();
    const auto killed = clock_type::now();
    // Tasks keep coming while there is no primary: accepted ones must all end; refused ones
    // (unavailable: nothing stored) may be.
    std::thread more([&] {
        const auto until = killed + std::chrono::seconds(4);
        while (clock_type::now() < until) {
            s.submit(client, 50);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const bool promoted = wait_until([&] { return redis.primary_port() != first; }, 30.0);
    const double promoted_s = std::chrono::duration<double>(clock_type::now() - killed).count();
    more.join();
    ASSERT_TRUE(promoted) << "the sentinels promoted no replica";
    const int second = redis.primary_port();
    std::printf("sentinels promoted 127.0.0.1:%d %.1f s after the kill\n", second, promoted_s);
    // And after the failover, more tasks: these must be accepted and stored on the new primary.
    const std::size_t after_from = s.futures.size();
    ASSERT_TRUE(wait_until(
        [&] {
            try {
                return client.inspect("stats").result(2.0).rows.size() == 1 &&
                       shoal::testing::field(client.inspect("stats").result(2.0).rows[0],
                                             "redis") == "up";
            } catch (const std::exception&) {
                return false;
            }
        },
        30.0))
        << "the broker did not reconnect to the new primary";
    s.submit(client, 500);

    const auto seen = shoal::testing::record_all(s.futures, s.expected, 120.0);
    shoal::testing::redis_server* now = redis.server_on(second);
    ASSERT_NE(now, nullptr);
    shoal::testing::expect_durable(seen, *now);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        const auto& t = seen[i];
        if (t.how == shoal::testing::seen_task::end::refused_unavailable) {
            ++refused;
            EXPECT_LT(i, after_from) << "refused after the broker was back: " << t.error;
            continue;
        }
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
    std::printf("%zu tasks, %zu refused while there was no primary\n", seen.size(), refused);
    EXPECT_EQ(now->command({"ROLE"}).substr(0, 6), "master");
}

// The primary paused (as if cut off): a broker with nothing to write would stay on it (no
// write, no READONLY, no timeout) until work came; it listens to the sentinels'
// +switch-master instead and moves to the promoted replica at once. Seen from Redis: the new
// primary gets the broker's connection fence (shoal:fence, set by every new connection's
// handshake) with no task submitted.
TEST(RedisSentinelFailover, AnIdleBrokerMovesToThePromotedReplicaWhenTheSentinelsSaySo) {
    sentinel_cluster redis;
    local_cluster c({"--redis", redis.url(), "--redis-timeout-ms", "1000", "--log-level", "info"});
    ASSERT_FALSE(c.endpoint().empty());
    const int first = redis.primary_port();
    shoal::testing::redis_server* old_primary = redis.server_on(first);
    ASSERT_NE(old_primary, nullptr);
    // The broker's first connection is up once its handshake set a fence.
    std::string fence;
    ASSERT_TRUE(wait_until(
        [&] {
            fence = old_primary->command({"GET", "shoal:fence"});
            return fence != "(nil)";
        },
        30.0));

    old_primary->pause();
    const bool promoted = wait_until([&] { return redis.primary_port() != first; }, 60.0);
    ASSERT_TRUE(promoted) << "the sentinels promoted no replica";
    shoal::testing::redis_server* now = redis.server_on(redis.primary_port());
    ASSERT_NE(now, nullptr);
    EXPECT_TRUE(wait_until(
        [&] {
            const std::string f = now->command({"GET", "shoal:fence"});
            return f != "(nil)" && f != fence;
        },
        30.0))
        << "the broker did not connect to the new primary";
    old_primary->resume();
}

}  // namespace
