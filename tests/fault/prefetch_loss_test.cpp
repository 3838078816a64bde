// A worker (one slot, prefetch 50) killed with kill -9 while it runs one long task and holds
// 50 more it has not started, five times over (a new worker each time, which is dispatched
// the same 51 tasks again). The broker counts a death only against what the worker started
// (STARTED, or presumed started up to its slots): the running task reaches the delivery limit
// (--max-attempts 5) and is set aside as a dead letter, with the deaths as its reason; the 50
// others are re-queued without a death each time (deaths_spared) and finish normally on the
// worker that finally survives.

#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/errors.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

constexpr int kDeliveryLimit = 5;
constexpr long kPrefetched = 50;

long stat_of(shoal::client& c, const std::string& key) {
    const auto rows = c.inspect("stats").result(10.0).rows;
    if (rows.empty()) return -1;
    const std::string v = field(rows.front(), key);
    return v.empty() ? -1 : std::stol(v);
}

TEST(PrefetchLoss, OnlyTheRunningTaskPaysForFiveWorkerDeathsThePrefetchedOnesFinishElsewhere) {
    // Heartbeat 100 ms x liveness 10: a killed worker is dead after 1 s of silence.
    local_cluster cluster({"--heartbeat-ms", "100", "--liveness", "10", "--max-attempts",
                           std::to_string(kDeliveryLimit)});
    ASSERT_FALSE(cluster.endpoint().empty());
    shoal::client client(cluster.endpoint());
    ASSERT_TRUE(client.wait_connected(20.0));

    // Submitted before any worker is there, so that the first worker is sent all 51 at once,
    // the long one first (it was submitted first, and a re-queued lane keeps its order).
    auto running = client.submit(shoal_examples::sleep, 120.0);
    std::vector<shoal::remote_future<long>> prefetched;
    for (long i = 0; i < kPrefetched; ++i)
        prefetched.push_back(client.submit(shoal_examples::add, i, i));
    ASSERT_TRUE(client.flush(20.0));
    const std::string running_id = running.id().to_hex();

    for (int round = 1; round <= kDeliveryLimit; ++round) {
        const std::string name = "victim-" + std::to_string(round);
        const std::size_t w = cluster.add_worker(
            name, {"--concurrency", "1", "--prefetch", std::to_string(kPrefetched)});
        // It holds all 51 and runs the long one (STARTED reached the broker).
        std::size_t held = 0;
        bool long_started = false;
        ASSERT_TRUE(wait_until(
            [&] {
                const auto rows = client.inspect("active").result(10.0).rows;
                held = 0;
                long_started = false;
                for (const auto& row : rows) {
                    if (field(row, "worker") != name) continue;
                    ++held;
                    if (field(row, "task") == running_id && field(row, "started") == "1")
                        long_started = true;
                }
                return held == static_cast<std::size_t>(kPrefetched + 1) && long_started;
            },
            30.0))
            << "round " << round << ": worker " << name << " holds " << held
            << " tasks, the long one " << (long_started ? "started" : "not started");

        cluster.worker(w).signal(SIGKILL);
        ASSERT_EQ(cluster.worker(w).wait(10.0), 128 + SIGKILL);
        // The broker declares it dead and takes its tasks back.
        ASSERT_TRUE(wait_until([&] { return stat_of(client, "workers_dead") == round; }, 20.0))
            << "round " << round << ": the killed worker was not declared dead";
        EXPECT_EQ(stat_of(client, "deaths_spared"), kPrefetched * round)
            << "round " << round << ": the unstarted tasks were not all spared";
    }

    // The running task reached the delivery limit: its future fails with the reason.
    try {
        (void)running.get(30.0);
        ADD_FAILURE() << "the task that was running at each death returned";
    } catch (const shoal::task_lost_error& e) {
        EXPECT_EQ(e.code(), "dead_letter");
        EXPECT_NE(std::string(e.what()).find("worker died"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(std::to_string(kDeliveryLimit) + " attempts"),
                  std::string::npos)
            << e.what();
    }
    // Only it is a dead letter; nothing ran meanwhile.
    const auto dead = client.inspect("dead").result(10.0).rows;
    ASSERT_EQ(dead.size(), 1u) << "inspect dead lists more than the task that was running";
    EXPECT_EQ(field(dead[0], "task"), running_id);
    EXPECT_EQ(field(dead[0], "attempts"), std::to_string(kDeliveryLimit));
    const std::string reason = field(dead[0], "reason");
    EXPECT_NE(reason.find("worker died"), std::string::npos) << reason;
    EXPECT_NE(reason.find(std::to_string(kDeliveryLimit) + " attempts"), std::string::npos)
        << reason;
    for (const auto& f : prefetched)
        EXPECT_FALSE(f.done()) << "a prefetched task ended while no worker ran it";

    // A worker that survives runs the 50 others, each with its value.
    cluster.add_worker("survivor", {"--concurrency", "4", "--prefetch", "0"});
    for (long i = 0; i < kPrefetched; ++i)
        EXPECT_EQ(prefetched[static_cast<std::size_t>(i)].get(30.0), 2 * i) << i;
    const auto cli_dead = cluster.cli({"inspect", "dead"});
    EXPECT_EQ(cli_dead.status, 0);
    EXPECT_NE(cli_dead.out.find(running_id), std::string::npos) << cli_dead.out;

    const long spared = stat_of(client, "deaths_spared");
    EXPECT_EQ(spared, kPrefetched * kDeliveryLimit);
    EXPECT_EQ(stat_of(client, "dead_lettered"), 1);
    EXPECT_EQ(stat_of(client, "completed"), kPrefetched);
    EXPECT_EQ(stat_of(client, "lost"), 0);
    EXPECT_EQ(stat_of(client, "dead"), 1);
    std::printf(
        "[ prefetch loss ] %d kills: deaths_spared %ld, requeued %ld, dead_lettered %ld, "
        "dispatched %ld; "
        "dead letter reason: %s\n",
        kDeliveryLimit, spared, stat_of(client, "requeued"), stat_of(client, "dead_lettered"),
        stat_of(client, "dispatched"), reason.c_str());
}

}  // namespace
