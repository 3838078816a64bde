// One-way packet loss: for 3 s in the middle of a batch, every packet from the broker to the
// client is dropped (iptables DROP on the client's host's INPUT, link_cut::inbound_only), while
// what the client sends still reaches the broker. The broker keeps pushing results, its
// 64 KiB output window to the client fills (the client acknowledges nothing it does not
// receive) and what does not fit is dropped (output_dropped); TCP retransmits what was in
// flight once the path is back. Whichever way the client recovers (the broker's
// output_dropped notice, its own repair FETCH, or a reconnect if the broker was silent past
// its liveness), every result must arrive exactly once, with its value, and the broker stores
// what it told (outcome_checker.hpp with --check-stored).
//
// The broker, both workers and the client's host are network namespaces (two_hosts.hpp):
// the broker and the workers on host a, the client alone on host b.

#include <chrono>
#include <cstdio>
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

TEST(OneWayLoss, ThreeSecondsOfDroppedBrokerToClientPacketsMidBatchStillDeliverEveryResultOnce) {
    two_hosts hosts;
    ASSERT_TRUE(hosts.available())
        << "cannot make the two network namespaces (this test needs root): " << hosts.why();
    // Heartbeat 500 ms x liveness 10: nobody is declared dead for 5 s of silence. The window
    // is the smallest allowed, so that 3 s of results overflow it.
    local_cluster cluster({"--heartbeat-ms", "500", "--liveness", "10", "--window-bytes", "65536",
                           "--log-level", "warn"},
                          hosts.on_a(), "tcp://" + hosts.address_a() + ":0");
    ASSERT_FALSE(cluster.endpoint().empty());
    const auto stats = [&] {
        return inspect_through_cli(hosts.on_a(), cluster.endpoint(), "stats");
    };
    for (const char* name : {"w1", "w2"}) {
        cluster.add_worker(name, {"--concurrency", "200", "--prefetch", "0", "--log-level", "warn"},
                           hosts.on_a());
    }
    ASSERT_TRUE(wait_until(
        [&] {
            return inspect_through_cli(hosts.on_a(), cluster.endpoint(), "workers").rows.size() ==
                   2;
        },
        20.0));

    // 8000 sleeps of 100 to 300 ms on 2 x 200 slots: about 4 s of work, all accepted before
    // the loss begins (after 1000 results), so that most results are pushed into it.
    scratch_dir dir;
    const std::string log = dir.file("one-way.log");
    const batch::spec spec{batch::kind::sleep, 100, 300};
    auto client = child_process::spawn(
        batch_client_argv(hosts.on_b(), cluster.endpoint(), log, spec, 8000, 2000,
                          {"--timeout", "120", "--check-stored", "--name", "one-way-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 1000; }, 30.0))
        << "the batch did not start: " << count_log_lines(log, "accepted") << " accepted";

    link_cut cut(hosts.namespace_b(), link_cut::direction::inbound_only);
    const std::size_t results_before = count_log_lines(log, "result");
    const std::size_t accepted_before = count_log_lines(log, "accepted");
    ASSERT_TRUE(cut.cut()) << cut.why();
    const auto cut_at = clock_type::now();
    std::this_thread::sleep_until(cut_at + 3s);
    const std::size_t results_during = count_log_lines(log, "result") - results_before;
    const cli_report during = stats();
    ASSERT_TRUE(cut.heal()) << cut.why();
    const auto healed_at = clock_type::now();

    // Every result once, after the loss.
    ASSERT_EQ(client.wait(120.0), 0) << "the client did not finish its batch";
    const double recovered_s = std::chrono::duration<double>(clock_type::now() - healed_at).count();
    outcome_checker checker([&](std::size_t i) { return batch::expected_value(spec, i); });
    ASSERT_TRUE(checker.read_log(log));
    auto problems = checker.violations();
    if (!checker.ended()) problems.push_back("the client's log has no end line");
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);
    EXPECT_EQ(checker.accepted_count(), 8000u);
    EXPECT_EQ(checker.result_count(), 8000u);
    EXPECT_EQ(checker.stored_count(), 8000u);

    const cli_report s = stats();
    ASSERT_TRUE(s.ok) << s.output;
    EXPECT_EQ(s.number("submitted"), 8000) << s.output;
    EXPECT_EQ(s.number("completed"), 8000) << "each task completed exactly once: " << s.output;
    EXPECT_EQ(s.number("workers_dead"), 0) << s.output;
    EXPECT_EQ(s.number("pending"), 0) << s.output;
    // The loss did what it was meant to: results were pushed into it, past the window.
    EXPECT_GT(during.number("completed") - static_cast<long>(results_before), 0)
        << "no result was made while the client's inbound packets were dropped";
    EXPECT_GT(s.number("output_dropped"), 0)
        << "the client's output window never filled: " << s.output;

    std::printf(
        "[ one-way loss ] 8000 tasks; cut at %zu results (%zu accepted); %zu results reached the "
        "client "
        "during the 3 s of loss; broker at the heal: completed %ld, output_dropped %ld, unacked "
        "max %ld "
        "bytes; all done %.1f s after the heal; broker: output_dropped %ld, clients_dead %ld, "
        "repeated_hellos %ld, duplicates %ld, undelivered %ld; iptables %s\n",
        results_before, accepted_before, results_during, during.number("completed"),
        during.number("output_dropped"), during.number("unacked_bytes_max"), recovered_s,
        s.number("output_dropped"), s.number("clients_dead"), s.number("repeated_hellos"),
        s.number("duplicates"), s.number("undelivered"), cut.tool().c_str());
}

}  // namespace
