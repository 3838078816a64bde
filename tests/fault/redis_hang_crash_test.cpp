// Redis hangs (SIGSTOP) while a worker runs 20 tasks, so that their DONEs reach the broker
// while Redis cannot store the results; the broker is then killed (kill -9) holding them,
// Redis resumes, and a new broker starts on the same Redis. The tasks are now_ns: each run
// returns a different value (the wall clock when it ended), so a result shown from one run and
// another stored from a re-run would be seen. Two groups of 10:
//
//   - early: they end just after Redis stopped. The broker sends their results to Redis, which
//     does not answer; the commands wait in Redis's socket buffer, and Redis may carry them
//     out when it resumes, after the broker died (the first run's values then stand);
//   - late: they end after the broker has found Redis hung (its 1 s timeout): their results
//     are staged in the broker's memory only, and die with it: the new broker runs them
//     again, and the re-run's values are the only ones anyone may see.
//
// What must hold for both:
//   - while Redis has not stored a result, nobody is shown it: the submitter's futures stay
//     pending, and another client's FETCH answers `pending`;
//   - after the restart each task id has exactly one visible result: what the submitter was
//     told, what Redis stores, and what any later FETCH answers (another client's, a fresh
//     client's) are the same value, and stay so.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "redis/durability_checker.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::payload_value;
using shoal::testing::read_stored;
using shoal::testing::redis_server;
using shoal::testing::wait_until;

constexpr std::size_t kTasks = 20;  // the first half early (2 s), the second late (5 s)

long stat_of(shoal::client& c, const std::string& key) {
    const auto rows = c.inspect("stats").result(10.0).rows;
    if (rows.empty()) return -1;
    const std::string v = field(rows.front(), key);
    return v.empty() ? -1 : std::stol(v);
}

std::string stat_of_text(shoal::client& c, const std::string& key) {
    const auto rows = c.inspect("stats").result(10.0).rows;
    return rows.empty() ? std::string() : field(rows.front(), key);
}

long now_ns() {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

// What a FETCH by id answers now: the value when done, or -1 (pending), -2 (anything else).
long fetched_value(shoal::client& c, const shoal::proto::task_id& id) {
    const shoal::fetch_result r = c.fetch_state(id).result(20.0);
    if (r.state == shoal::proto::result_state::pending) return -1;
    if (r.state != shoal::proto::result_state::done || !r.outcome ||
        r.outcome->status != shoal::proto::task_status::ok) {
        return -2;
    }
    return payload_value(r.outcome->payload);
}

TEST(RedisHangThenBrokerCrash,
     ResultsRedisNeverStoredAreShownToNobodyAndEachTaskEndsWithOneVisibleResult) {
    shoal::testing::redis_server_options ro;
    ro.appendfsync = "always";
    redis_server redis(ro);
    // A generous liveness (100 ms x 30): the worker keeps its lease while Redis is stopped.
    local_cluster cluster({"--redis", redis.url(), "--redis-timeout-ms", "1000", "--heartbeat-ms",
                           "100", "--liveness", "30", "--log-level", "warn"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker(
        "w1", {"--concurrency", std::to_string(kTasks), "--prefetch", "0", "--log-level", "warn"});
    shoal::client_options o;
    o.reconnect_max_s = 0.5;
    o.fetch_poll_max_s = 0.5;
    o.result_check_s = 1.0;
    shoal::client submitter(cluster.endpoint(), o);
    shoal::client observer(cluster.endpoint(), o);
    ASSERT_TRUE(submitter.wait_connected(20.0));
    ASSERT_TRUE(observer.wait_connected(20.0));
    ASSERT_TRUE(
        wait_until([&] { return observer.inspect("workers").result(5.0).rows.size() == 1; }, 20.0));

    // 20 tasks running at once, 10 of 2 s and 10 of 5 s; accepted means Redis stored them.
    std::vector<shoal::remote_future<long>> futures;
    for (std::size_t i = 0; i < kTasks; ++i) {
        futures.push_back(submitter.submit(shoal_examples::now_ns, i < kTasks / 2 ? 2.0 : 5.0));
    }
    ASSERT_TRUE(submitter.flush(20.0));
    for (const auto& f : futures)
        ASSERT_NE(f.status(), shoal::remote_status::failed) << "a task was refused";
    ASSERT_TRUE(wait_until(
        [&] {
            std::size_t started = 0;
            for (const auto& row : observer.inspect("active").result(5.0).rows)
                started += field(row, "started") == "1";
            return started == kTasks;
        },
        20.0))
        << "the 20 tasks did not all start";

    // Redis hangs while they run; their DONEs reach the broker (the worker's done count).
    redis.pause();
    const long first_run_before = now_ns();
    long done_at_broker = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            const auto rows = observer.inspect("workers").result(5.0).rows;
            done_at_broker = rows.empty() ? 0 : std::stol(field(rows.front(), "done"));
            return done_at_broker == static_cast<long>(kTasks);
        },
        30.0))
        << "only " << done_at_broker << " DONEs reached the broker";
    // The late ones ended after the broker's Redis timeout (1 s after the early ones' writes).
    const std::string redis_state = stat_of_text(observer, "redis");
    EXPECT_NE(redis_state, "up") << "the broker did not find Redis hung";
    // Nobody has seen a result Redis did not store.
    std::size_t shown_early = 0;
    for (const auto& f : futures) shown_early += f.done() ? 1 : 0;
    EXPECT_EQ(shown_early, 0u) << "the submitter was shown results that Redis never stored";
    std::size_t fetched_early = 0;
    for (const auto& f : futures) fetched_early += fetched_value(observer, f.id()) != -1 ? 1 : 0;
    EXPECT_EQ(fetched_early, 0u)
        << "a FETCH answered something other than pending before Redis stored it";

    // kill -9, Redis resumes, a new broker on the same Redis.
    cluster.kill_broker();
    const long killed_at = now_ns();
    redis.resume();
    ASSERT_TRUE(cluster.restart_broker());

    // Every task ends once, for the submitter; the observer and Redis agree with it.
    std::vector<long> told(kTasks, 0);
    for (std::size_t i = 0; i < kTasks; ++i) {
        try {
            told[i] = futures[i].get(60.0);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "task " << futures[i].id().to_hex() << ": " << e.what();
        }
    }
    std::this_thread::sleep_for(2s);  // time for a re-run, if there were one, to show itself
    const auto stored = read_stored(redis);
    std::size_t first_run = 0;
    std::size_t re_run = 0;
    for (std::size_t i = 0; i < kTasks; ++i) {
        const std::string id = futures[i].id().to_hex();
        const auto it = stored.results.find(id);
        ASSERT_NE(it, stored.results.end())
            << "task " << id << ": the client has its value, Redis has none";
        EXPECT_EQ(payload_value(it->second.outcome.payload), told[i])
            << "task " << id << ": Redis stores another value than the one the client was told";
        EXPECT_EQ(fetched_value(observer, futures[i].id()), told[i])
            << "task " << id << ": a later FETCH contradicts what the client was told";
        EXPECT_EQ(futures[i].get(1.0), told[i])
            << "task " << id << ": the future changed its value";
        EXPECT_GT(told[i], first_run_before - 10'000'000'000L)
            << "task " << id << ": a value from before the run";
        if (i >= kTasks / 2) {
            EXPECT_GT(told[i], killed_at)
                << "task " << id << ": a late task's first run, which Redis never "
                << "stored, is the value shown";
        }
        (told[i] < killed_at ? first_run : re_run) += 1;
    }
    EXPECT_TRUE(stored.unfinished.empty())
        << stored.unfinished.size() << " task records left in Redis";
    // A fresh client (no session history) sees the same.
    shoal::client late(cluster.endpoint(), o);
    ASSERT_TRUE(late.wait_connected(20.0));
    for (std::size_t i = 0; i < kTasks; ++i) {
        EXPECT_EQ(fetched_value(late, futures[i].id()), told[i])
            << "task " << futures[i].id().to_hex();
    }
    const long recovered = stat_of(late, "recovered");
    const long completed = stat_of(late, "completed");
    EXPECT_EQ(stat_of(late, "pending"), 0);

    std::printf(
        "[ redis hang, broker crash ] %zu tasks, %ld DONEs at the broker while Redis hung (redis: "
        "%s), %zu "
        "shown, %zu fetched; after the restart: %zu ended with the first run's value (the dead "
        "broker's "
        "writes, carried out when Redis resumed), %zu with a re-run's; new broker: recovered %ld, "
        "completed %ld\n",
        kTasks, done_at_broker, redis_state.c_str(), shown_early, fetched_early, first_run, re_run,
        recovered, completed);
}

}  // namespace
