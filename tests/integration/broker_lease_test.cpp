// The active broker's lease and the fence on its writes (broker/src/ha/broker_lease.hpp,
// broker/src/durable/fenced_writes.hpp) against a real redis-server: who takes the lease and
// with which epoch, what a stale token can write (nothing), and when the keeper gives up.
#include "ha/broker_lease.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "durable/fenced_writes.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "redis/redis_sync.hpp"
#include "redis/redis_url.hpp"
#include "shoal/common/event_loop.hpp"

namespace {

using namespace shoal::broker;
using shoal::testing::redis_server;

TEST(BrokerLease, TheFirstTakesItTheSecondSeesWhoAndTakesItOnceItEndsWithTheNextEpoch) {
    redis_server redis;
    redis_sync a(parse_redis_url(redis.url()), 5.0);
    redis_sync b(parse_redis_url(redis.url()), 5.0);
    const lease_view first = try_take_lease(a, "a", 300);
    ASSERT_TRUE(first.ours);
    EXPECT_EQ(first.token, "1:a");
    EXPECT_EQ(lease_epoch(first.token), 1u);
    EXPECT_EQ(lease_holder(first.token), "a");

    const lease_view refused = try_take_lease(b, "b", 300);
    EXPECT_FALSE(refused.ours);
    EXPECT_EQ(refused.token, "1:a");
    EXPECT_GT(refused.ttl_ms, 0);
    EXPECT_LE(refused.ttl_ms, 300);

    // Not renewed: it ends by its TTL, and the next take has a larger epoch.
    ASSERT_TRUE(shoal::testing::wait_until([&] { return read_lease(b).token.empty(); }, 10.0));
    const lease_view second = try_take_lease(b, "b", 300);
    ASSERT_TRUE(second.ours);
    EXPECT_EQ(second.token, "2:b");
    // Only the holder can give it up.
    EXPECT_FALSE(give_up_lease(a, first.token));
    EXPECT_TRUE(give_up_lease(b, second.token));
    EXPECT_TRUE(read_lease(a).token.empty());
}

// Sends one write batch and returns its replies.
std::vector<redis_reply> write(redis_sync& redis, const std::optional<write_fence>& fence,
                               void (*fill)(write_batch&)) {
    write_batch batch(fence);
    fill(batch);
    return redis.run(batch.finish());
}

TEST(FencedWrites, WriteOnlyWhileTheLeaseHoldsTheirTokenAndNothingOtherwise) {
    redis_server redis;
    redis_sync r(parse_redis_url(redis.url()), 5.0);
    ASSERT_TRUE(try_take_lease(r, "a", 60'000).ours);
    const std::optional<write_fence> ours = write_fence{std::string(lease_key), "1:a"};
    const std::optional<write_fence> stale = write_fence{std::string(lease_key), "0:old"};
    const auto fill = [](write_batch& b) {
        b.add("HSET", "h", "f1", "v1", "f2", "v2");
        b.add("SET", "k", "x");
    };
    const auto done = write(r, ours, fill);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_FALSE(done[0].is_error()) << done[0].str;
    EXPECT_EQ(redis.command({"HGET", "h", "f2"}), "v2");
    EXPECT_EQ(redis.command({"GET", "k"}), "x");

    const auto refused = write(r, stale, [](write_batch& b) {
        b.add("SET", "k", "y");
        b.add("HDEL", "h", "f1");
    });
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_TRUE(is_fenced(refused[0])) << refused[0].str;
    EXPECT_EQ(redis.command({"GET", "k"}), "x") << "a fenced write changed something";
    EXPECT_EQ(redis.command({"HGET", "h", "f1"}), "v1");

    // Without a fence the same commands go as they are, one reply each.
    const auto plain = write(r, std::nullopt, fill);
    EXPECT_EQ(plain.size(), 2u);
    EXPECT_FALSE(is_fenced(plain[0]));
}

TEST(FencedWrites, ACommandOfMaxArgumentsGoesThroughTheScript) {
    redis_server redis;
    redis_sync r(parse_redis_url(redis.url()), 5.0);
    ASSERT_TRUE(try_take_lease(r, "a", 60'000).ours);
    const std::optional<write_fence> ours = write_fence{std::string(lease_key), "1:a"};
    write_batch batch(ours);
    const std::size_t fields = (max_command_args - 2) / 2;
    batch.begin(2 + 2 * fields);
    batch.arg("HSET");
    batch.arg("big");
    for (std::size_t i = 0; i < fields; ++i) {
        batch.arg("f" + std::to_string(i));
        batch.arg("v");
    }
    const auto replies = r.run(batch.finish());
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_FALSE(replies[0].is_error()) << replies[0].str;
    EXPECT_EQ(redis.command({"HLEN", "big"}), std::to_string(fields));
}

// Runs the loop until `done` or `seconds` pass.
void run_until(shoal::event_loop& loop, const std::function<bool()>& done, double seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done() && std::chrono::steady_clock::now() < end) {
        loop.call_later(0.01, [&] { loop.stop(); });
        loop.run_forever();
    }
}

TEST(LeaseKeeper, RenewsWhileRedisAnswersAndGivesUpWhenAnotherHoldsIt) {
    redis_server redis;
    redis_sync r(parse_redis_url(redis.url()), 5.0);
    const lease_view taken = try_take_lease(r, "a", 600);
    ASSERT_TRUE(taken.ours);
    shoal::event_loop loop;
    lease_keeper keeper(loop, parse_redis_url(redis.url()), 2.0, taken.token, 600);
    std::optional<std::string> lost;
    keeper.lost = [&](const std::string& why) { lost = why; };
    keeper.start();
    // Three lease times: it would have ended twice over without the renewals.
    run_until(
        loop, [] { return false; }, 1.8);
    EXPECT_FALSE(lost) << *lost;
    EXPECT_GE(keeper.renewals(), 3u);
    EXPECT_EQ(read_lease(r).token, taken.token);

    redis.command({"SET", "shoal:broker:lease", "9:intruder"});
    run_until(
        loop, [&] { return lost.has_value(); }, 10.0);
    ASSERT_TRUE(lost);
    EXPECT_NE(lost->find("another broker"), std::string::npos) << *lost;
}

TEST(LeaseKeeper, GivesUpWithinTheLeaseTimeWhenRedisStopsAnswering) {
    redis_server redis;
    redis_sync r(parse_redis_url(redis.url()), 5.0);
    const lease_view taken = try_take_lease(r, "a", 900);
    ASSERT_TRUE(taken.ours);
    shoal::event_loop loop;
    lease_keeper keeper(loop, parse_redis_url(redis.url()), 5.0, taken.token, 900);
    std::optional<std::string> lost;
    keeper.lost = [&](const std::string& why) { lost = why; };
    keeper.start();
    run_until(
        loop, [] { return false; }, 0.5);
    ASSERT_FALSE(lost);
    redis.pause();
    const auto paused = std::chrono::steady_clock::now();
    run_until(
        loop, [&] { return lost.has_value(); }, 10.0);
    const double after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - paused).count();
    redis.resume();
    ASSERT_TRUE(lost);
    // It stops at its last good renewal's send plus 90% of the lease, at most that after the
    // pause (the renewal before it was sent within a third of the lease); bounded here by two
    // lease times, so that a loaded machine's late timers do not fail it.
    std::printf("the keeper gave up %.3f s after Redis stopped answering (lease 0.9 s)\n", after);
    EXPECT_LT(after, 1.8) << *lost;
}

}  // namespace
