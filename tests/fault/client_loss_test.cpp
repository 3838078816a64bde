// A client process dies (kill -9) in the middle of submitting a large batch: the broker runs
// every task it accepted anyway, forgets the dead client's session after its liveness window,
// and another client FETCHes every accepted id (the first one logged them as it went) and
// gets exactly one result for each.

#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"

namespace {

using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::count_log_lines;
using shoal::testing::field;
using shoal::testing::joined;
using shoal::testing::local_cluster;
using shoal::testing::outcome_checker;
using shoal::testing::scratch_dir;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;

long stat_of(shoal::client& client, const std::string& key) {
    const auto report = client.inspect("stats").result(5.0);
    if (report.rows.empty()) return -1;
    const std::string v = field(report.rows[0], key);
    return v.empty() ? -1 : std::stol(v);
}

TEST(ClientLoss, AClientKilledMidBatchLeavesEveryAcceptedTaskToRunAndBeFetched) {
    const auto began = std::chrono::steady_clock::now();
    // Heartbeat 250 ms x liveness 12: a client silent for 3 s is dead. (At 500 ms, workers
    // under ASan on a loaded machine missed their heartbeats and died too.)
    local_cluster cluster({"--heartbeat-ms", "250", "--liveness", "12"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1", {"--concurrency", "25", "--prefetch", "0"});
    cluster.add_worker("w2", {"--concurrency", "25", "--prefetch", "0"});
    shoal::client watcher(cluster.endpoint());
    ASSERT_TRUE(watcher.wait_connected(20.0));
    ASSERT_TRUE(
        wait_until([&] { return watcher.inspect("workers").result(5.0).rows.size() == 2; }, 20.0));

    // 6000 sleeps of 20 to 60 ms on 2 x 25 slots: about 5 s of work, submitted in chunks of
    // 250 with a pause between them, so the kill comes while the client still submits.
    scratch_dir dir;
    const std::string log = dir.file("killed.log");
    const batch::spec spec{batch::kind::sleep, 20, 60};
    auto doomed = child_process::spawn(
        batch_client_argv({}, cluster.endpoint(), log, spec, 6000, 250,
                          {"--pause-ms", "50", "--timeout", "60", "--name", "doomed-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "accepted") >= 2000; }, 30.0))
        << "the client did not get 2000 tasks accepted";
    doomed.signal(SIGKILL);
    ASSERT_EQ(doomed.wait(10.0), 128 + SIGKILL);
    const auto killed_at = std::chrono::steady_clock::now();

    // What the dead client was told: the accepted ids (the others' results it saw must be
    // right and single, and it must have stopped short of the end).
    outcome_checker seen_by_doomed([&](std::size_t i) { return batch::expected_value(spec, i); });
    ASSERT_TRUE(seen_by_doomed.read_log(log));
    const auto partial = seen_by_doomed.violations(/*every_accepted_ends=*/false);
    EXPECT_TRUE(partial.empty()) << partial.size()
                                 << " breaches in what the killed client saw:" << joined(partial);
    EXPECT_FALSE(seen_by_doomed.ended()) << "the kill came after the batch ended";
    const std::size_t accepted = seen_by_doomed.accepted_count();
    EXPECT_LT(accepted, 6000u) << "the kill came after the whole batch was submitted";

    // The broker forgets the dead client's session after its liveness window.
    ASSERT_TRUE(wait_until([&] { return stat_of(watcher, "clients_dead") >= 1; }, 30.0))
        << "the broker never noticed the client's death";
    const double noticed_after_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    EXPECT_EQ(stat_of(watcher, "clients"), 1) << "the dead client's session is still held";

    // Another client fetches every id the dead one got accepted: each has exactly one result.
    outcome_checker fetched([&](std::size_t i) { return batch::expected_value(spec, i); });
    ASSERT_TRUE(fetched.read_log(log, outcome_checker::take::accepted_only));
    std::vector<std::pair<std::string, shoal::remote_future<double>>> futures;
    futures.reserve(accepted);
    for (const auto& [hex, index] : fetched.accepted_ids()) {
        const auto id = shoal::proto::task_id::from_hex(hex);
        ASSERT_TRUE(id.has_value()) << hex;
        futures.emplace_back(hex, watcher.fetch<double>(*id));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (auto& [hex, f] : futures) {
        const double left = std::max(
            0.001,
            std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
        try {
            fetched.result(hex, batch::format_double(f.get(left)));
        } catch (const shoal::timeout_error&) {
            // No result: counted as lost below.
        } catch (const std::exception& e) {
            fetched.error(hex, e.what());
        }
    }
    const auto problems = fetched.violations();
    EXPECT_TRUE(problems.empty()) << problems.size()
                                  << " breaches in what the second client fetched:"
                                  << joined(problems);
    EXPECT_EQ(fetched.result_count(), accepted);

    // The broker ran every task it accepted, each once, including any the dead client never
    // heard were accepted (the kill may fall between ACCEPTED and the log line).
    ASSERT_TRUE(wait_until(
        [&] { return stat_of(watcher, "active") == 0 && stat_of(watcher, "queued") == 0; }, 30.0));
    const auto stats = watcher.inspect("stats").result(5.0);
    ASSERT_EQ(stats.rows.size(), 1u);
    const auto& row = stats.rows[0];
    const long submitted = std::stol(field(row, "submitted"));
    EXPECT_GE(submitted, static_cast<long>(accepted));
    EXPECT_LT(submitted, 6000);
    EXPECT_EQ(std::stol(field(row, "completed")), submitted)
        << "each accepted task completed exactly once";
    EXPECT_EQ(std::stol(field(row, "results")), submitted);
    EXPECT_EQ(std::stol(field(row, "workers_dead")), 0);
    EXPECT_EQ(std::stol(field(row, "late_results")), 0);
    EXPECT_EQ(std::stol(field(row, "lost")), 0);

    std::cout << "[ client loss ] killed after " << accepted << " accepted (broker: " << submitted
              << " submitted), " << seen_by_doomed.result_count()
              << " results seen before the kill; death noticed " << noticed_after_s * 1000.0
              << " ms after the kill; " << fetched.result_count()
              << " fetched by the second client; completed " << field(row, "completed")
              << ", undelivered " << field(row, "undelivered") << ", clients_dead "
              << field(row, "clients_dead") << "; total "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()
              << " s\n";
}

}  // namespace
