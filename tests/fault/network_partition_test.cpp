// Network faults between real processes on two "machines" (network namespaces joined by a
// veth link, tests/support/process/two_hosts.hpp): the broker, one worker and a client on
// host a, another worker on host b. Host b's link is cut silently with iptables DROP inside
// its namespace (link_cut.hpp): no reset, no ICMP, the peers notice only through silence.
//
//   - a partition longer than the liveness window: the broker declares the worker on b dead
//     and gives its tasks to the worker on a; healed after 5 liveness periods, the worker on
//     b comes back, its late results are ignored (late_results) and it is served again;
//   - a flapping link, cut for less than the liveness window again and again: nobody is
//     declared dead.
//
// Both check what the client was told with outcome_checker.hpp: nothing lost, every value
// right, no unknown id, no id with two results, and the broker stores what it told.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/link_cut.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/two_hosts.hpp"
#include "process/wait_until.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::cli_report;
using shoal::testing::count_log_lines;
using shoal::testing::inspect_through_cli;
using shoal::testing::joined;
using shoal::testing::link_cut;
using shoal::testing::local_cluster;
using shoal::testing::outcome_checker;
using shoal::testing::scratch_dir;
using shoal::testing::two_hosts;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// The row of INSPECT workers for the worker named `name` (empty if it is not registered).
std::map<std::string, std::string> worker_row(const cli_report& workers, const std::string& name) {
    for (const auto& row : workers.rows) {
        const auto it = row.find("name");
        if (it != row.end() && it->second == name) return row;
    }
    return {};
}

long number_in(const std::map<std::string, std::string>& row, const std::string& key) {
    const auto it = row.find(key);
    return it == row.end() ? -1 : std::stol(it->second);
}

class NetworkFault : public ::testing::Test {
  protected:
    // Host a: the broker (heartbeat 100 ms, the given liveness), the worker "near" and the
    // client; host b: the worker "far".
    void start(const std::string& liveness, int slots) {
        ASSERT_TRUE(hosts_.available())
            << "cannot make the two network namespaces (this test needs root): " << hosts_.why();
        cluster_.emplace(std::vector<std::string>{"--heartbeat-ms", "100", "--liveness", liveness},
                         hosts_.on_a(), "tcp://" + hosts_.address_a() + ":0");
        ASSERT_EQ(cluster_->endpoint().rfind("tcp://" + hosts_.address_a() + ":", 0), 0u)
            << cluster_->endpoint();
        const std::vector<std::string> worker_args{"--concurrency", std::to_string(slots),
                                                   "--prefetch", "0"};
        cluster_->add_worker("near", worker_args, hosts_.on_a());
        cluster_->add_worker("far", worker_args, hosts_.on_b());
        ASSERT_TRUE(wait_until([&] { return workers().rows.size() == 2; }, 20.0))
            << "the two workers did not register: " << workers().output;
    }

    cli_report workers() {
        return inspect_through_cli(hosts_.on_a(), cluster_->endpoint(), "workers");
    }
    cli_report stats() { return inspect_through_cli(hosts_.on_a(), cluster_->endpoint(), "stats"); }

    child_process run_batch(const std::string& log, const batch::spec& spec, std::size_t count,
                            const std::string& name) {
        return child_process::spawn(
            batch_client_argv(hosts_.on_a(), cluster_->endpoint(), log, spec, count, 500,
                              {"--check-stored", "--timeout", "60", "--name", name}));
    }

    // Reads a finished client's log and lists every breach of the promises.
    static std::vector<std::string> check_log(const std::string& log, outcome_checker& checker) {
        if (!checker.read_log(log)) return {"cannot read the outcome log " + log};
        auto problems = checker.violations();
        if (!checker.ended()) problems.push_back("the client's log has no end line");
        if (checker.stored_count() != checker.accepted_count()) {
            problems.push_back(
                "the broker was asked for " + std::to_string(checker.accepted_count()) +
                " stored results and answered " + std::to_string(checker.stored_count()));
        }
        return problems;
    }

    two_hosts hosts_;
    scratch_dir dir_;
    std::optional<local_cluster> cluster_;
};

TEST_F(NetworkFault,
       ASilentPartitionKillsTheWorkerItsTasksRunElsewhereAndItsLateResultsAreIgnored) {
    // Liveness 5 x 100 ms: silent for 500 ms, a peer is dead (a shorter window declares
    // loaded, sanitized processes dead that are only slow).
    start("5", 100);
    if (HasFatalFailure()) return;
    link_cut cut(hosts_.namespace_b());
    const auto began = clock_type::now();

    // 1600 sleeps of 0.3 to 1.1 s on 2 x 100 slots: about 5.6 s of work. Each worker holds
    // up to 100 tasks, and much of what the far one holds ends after it has lost the broker.
    const batch::spec spec{batch::kind::sleep, 300, 1100};
    const std::string log = dir_.file("partition.log");
    auto client = run_batch(log, spec, 1600, "partition-client");

    // Mid-batch: once results flow and the far worker holds tasks.
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 200; }, 30.0))
        << "the batch did not start: " << count_log_lines(log, "accepted") << " accepted";
    ASSERT_TRUE(
        wait_until([&] { return number_in(worker_row(workers(), "far"), "held") > 0; }, 10.0))
        << "the far worker holds nothing to lose";
    const std::size_t results_before = count_log_lines(log, "result");
    ASSERT_TRUE(cut.cut()) << cut.why();
    const auto cut_at = clock_type::now();

    // The broker notices within its liveness window (checked every quarter heartbeat).
    ASSERT_TRUE(wait_until([&] { return stats().number("workers_dead") >= 1; }, 5.0))
        << "the broker never declared the partitioned worker dead";
    const double death_after_s = seconds_since(cut_at);
    EXPECT_EQ(worker_row(workers(), "far").size(), 0u) << "a dead worker is still listed";
    // The work goes on without it, on the near worker.
    const std::size_t results_at_death = count_log_lines(log, "result");

    // Healed after 5 liveness periods (5 x 500 ms).
    std::this_thread::sleep_until(cut_at + 2500ms);
    const std::size_t results_while_cut = count_log_lines(log, "result") - results_at_death;
    ASSERT_TRUE(cut.heal()) << cut.why();
    const auto healed_at = clock_type::now();

    // The far worker comes back (a fresh socket and HELLO, after its back-off).
    ASSERT_TRUE(wait_until([&] { return !worker_row(workers(), "far").empty(); }, 20.0))
        << "the far worker never came back after the partition healed";
    const double back_after_s = seconds_since(healed_at);

    // The first batch ends, every task with exactly one result.
    const auto status = client.wait(60.0);
    ASSERT_EQ(status, 0) << "the client did not finish its batch";
    const double batch_s = seconds_since(began);
    outcome_checker first([&](std::size_t i) { return batch::expected_value(spec, i); });
    const auto problems = check_log(log, first);
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);
    EXPECT_EQ(first.accepted_count(), 1600u);
    EXPECT_EQ(first.result_count(), 1600u);

    // The far worker is served again: a second batch reaches it.
    const batch::spec second_spec{batch::kind::sleep, 20, 60};
    const std::string log2 = dir_.file("after.log");
    auto second = run_batch(log2, second_spec, 1000, "after-client");
    // Sampled while the batch runs, not only after it: under ASan on a loaded machine the
    // broker may declare a slow worker dead (a 500 ms window) and its next session's count
    // starts again at 0, which hid work the far worker had done (a CI run saw that).
    long far_done = 0;
    const auto second_until = clock_type::now() + 60s;
    while (second.running() && clock_type::now() < second_until) {
        far_done = std::max(far_done, number_in(worker_row(workers(), "far"), "done"));
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(second.wait(60.0), 0) << "the second batch did not finish";
    outcome_checker after([&](std::size_t i) { return batch::expected_value(second_spec, i); });
    const auto problems2 = check_log(log2, after);
    EXPECT_TRUE(problems2.empty()) << problems2.size() << " breaches:" << joined(problems2);
    far_done = std::max(far_done, number_in(worker_row(workers(), "far"), "done"));
    EXPECT_GT(far_done, 0) << "the far worker was not served after it came back";

    // The broker's side: one death, its tasks re-queued, the late results ignored, and
    // every accepted task completed exactly once.
    const cli_report s = stats();
    ASSERT_TRUE(s.ok) << s.output;
    // The far worker's death is asserted above (it left the workers list). Under ASan on a
    // loaded CI machine the near worker was once also declared dead twice for slowness, and
    // reconnected with nothing lost; the flapping test below is the one about false deaths.
    EXPECT_GE(s.number("workers_dead"), 1) << s.output;
    EXPECT_GE(s.number("requeued"), 1) << s.output;
    EXPECT_GE(s.number("late_results"), 1)
        << "no late result from the far worker was counted: " << s.output;
    EXPECT_EQ(s.number("submitted"), 2600) << s.output;
    EXPECT_EQ(s.number("completed"), s.number("submitted"))
        << "each task completed exactly once: " << s.output;
    EXPECT_EQ(s.number("lost"), 0) << s.output;
    EXPECT_EQ(s.number("active"), 0) << s.output;
    EXPECT_EQ(s.number("queued"), 0) << s.output;

    std::cout << "[ partition ] 1600 + 1000 tasks; far worker declared dead "
              << death_after_s * 1000.0 << " ms after the cut; " << results_before
              << " results before the cut, " << results_while_cut
              << " while cut (after the death); back " << back_after_s
              << " s after the heal; first batch " << batch_s << " s; broker: workers_dead "
              << s.number("workers_dead") << ", requeued " << s.number("requeued")
              << ", late_results " << s.number("late_results") << ", unexpected "
              << s.number("unexpected_messages") << ", clients_dead " << s.number("clients_dead")
              << ", completed " << s.number("completed") << "/" << s.number("submitted")
              << "; far done after return " << far_done << "; iptables " << cut.tool() << '\n';
}

TEST_F(NetworkFault, AFlappingLinkShorterThanTheLivenessWindowKillsNobody) {
    // Liveness 30 x 100 ms: only 3 s of silence kills; the link drops for 150 ms at a time.
    // (At 1 s, a worker under ASan on a machine loaded 7 times over missed its heartbeats
    // with no flap at all.)
    start("30", 50);
    if (HasFatalFailure()) return;
    link_cut cut(hosts_.namespace_b());
    const auto began = clock_type::now();

    // 3000 sleeps of 0.1 to 0.3 s on 2 x 50 slots: about 6 s of work, over the 10 flaps.
    const batch::spec spec{batch::kind::sleep, 100, 300};
    const std::string log = dir_.file("flapping.log");
    auto client = run_batch(log, spec, 3000, "flapping-client");
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 200; }, 30.0))
        << "the batch did not start: " << count_log_lines(log, "accepted") << " accepted";

    // 10 times: 150 ms cut, 450 ms open (every 600 ms), on a fixed schedule.
    const auto flaps_from = clock_type::now();
    std::size_t results_during = count_log_lines(log, "result");
    for (int i = 0; i < 10; ++i) {
        const auto at = flaps_from + i * 600ms;
        std::this_thread::sleep_until(at);
        ASSERT_TRUE(cut.cut()) << cut.why();
        std::this_thread::sleep_until(at + 150ms);
        ASSERT_TRUE(cut.heal()) << cut.why();
    }
    std::this_thread::sleep_until(flaps_from + 6000ms);
    const double flapping_s = seconds_since(flaps_from);
    results_during = count_log_lines(log, "result") - results_during;
    const auto far_after_flaps = worker_row(workers(), "far");

    ASSERT_EQ(client.wait(60.0), 0) << "the client did not finish its batch";
    const double batch_s = seconds_since(began);
    outcome_checker checker([&](std::size_t i) { return batch::expected_value(spec, i); });
    const auto problems = check_log(log, checker);
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);
    EXPECT_EQ(checker.accepted_count(), 3000u);
    EXPECT_EQ(checker.result_count(), 3000u);

    const cli_report s = stats();
    ASSERT_TRUE(s.ok) << s.output;
    EXPECT_EQ(s.number("workers_dead"), 0)
        << "a flap shorter than the liveness window killed a worker: " << s.output;
    EXPECT_EQ(s.number("requeued"), 0) << s.output;
    EXPECT_EQ(s.number("late_results"), 0) << s.output;
    EXPECT_EQ(s.number("submitted"), 3000) << s.output;
    EXPECT_EQ(s.number("completed"), 3000) << s.output;
    // The far worker stayed one session and kept working through the flaps.
    EXPECT_FALSE(far_after_flaps.empty()) << "the far worker was not registered after the flaps";
    const auto far = worker_row(workers(), "far");
    EXPECT_EQ(far.count("identity") ? far.at("identity") : "",
              far_after_flaps.count("identity") ? far_after_flaps.at("identity") : "-")
        << "the far worker reconnected (a new session) after the flaps";
    EXPECT_GT(number_in(far, "done"), 0) << "the far worker ran nothing";

    std::cout << "[ flapping ] 3000 tasks; " << cut.cuts() << " cuts of 150 ms every 600 ms over "
              << flapping_s << " s, " << results_during << " results meanwhile; batch " << batch_s
              << " s; broker: workers_dead " << s.number("workers_dead") << ", requeued "
              << s.number("requeued") << ", late_results " << s.number("late_results")
              << ", clients_dead " << s.number("clients_dead") << ", completed "
              << s.number("completed") << "; far done " << number_in(far, "done") << "; iptables "
              << cut.tool() << '\n';
}

}  // namespace
