// A host that vanishes: a worker and a client on host b (a network namespace joined to host
// a by a veth link, two_hosts.hpp) lose their link for good, both directions dropped with
// iptables (link_cut.hpp), never restored: no FIN, no reset, no ICMP, as when a machine is
// powered off. The broker on host a must free what it held for them by itself:
//
//   - their sessions end after the SHOAL liveness (heartbeat 1 s x 5 here): inspect stats'
//     peers, clients and workers return to what they were before host b joined;
//   - their connections' descriptors close after the ZeroMQ heartbeat timeout (PINGs every
//     2 s, closed 10 s after one is unanswered: proto/src/wire.cpp): the broker's open
//     descriptors (/proc/PID/fd) return to their count before host b joined;
//
// all within 30 s of the cut, while the worker on host a finishes the work.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/link_cut.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/proc_stats.hpp"
#include "process/two_hosts.hpp"
#include "process/wait_until.hpp"

namespace {

using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::cli_report;
using shoal::testing::count_log_lines;
using shoal::testing::inspect_through_cli;
using shoal::testing::link_cut;
using shoal::testing::local_cluster;
using shoal::testing::open_fds;
using shoal::testing::scratch_dir;
using shoal::testing::two_hosts;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;
using clock_type = std::chrono::steady_clock;

std::string comm_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

TEST(VanishedHost,
     AWorkerAndAClientWhoseHostVanishedAreForgottenAndTheirDescriptorsClosedWithin30s) {
    two_hosts hosts;
    ASSERT_TRUE(hosts.available())
        << "cannot make the two network namespaces (this test needs root): " << hosts.why();
    local_cluster cluster({"--heartbeat-ms", "1000", "--liveness", "5", "--log-level", "warn"},
                          hosts.on_a(), "tcp://" + hosts.address_a() + ":0");
    ASSERT_FALSE(cluster.endpoint().empty());
    const pid_t broker = cluster.broker().pid();
    ASSERT_EQ(comm_of(broker), "shoal-broker") << "the pid is not the broker's own";
    const auto stats = [&] {
        return inspect_through_cli(hosts.on_a(), cluster.endpoint(), "stats");
    };
    const auto workers = [&] {
        return inspect_through_cli(hosts.on_a(), cluster.endpoint(), "workers");
    };
    cluster.add_worker("near", {"--concurrency", "8", "--prefetch", "0", "--log-level", "warn"},
                       hosts.on_a());
    ASSERT_TRUE(wait_until([&] { return workers().rows.size() == 1; }, 20.0));

    // Before host b joins: the descriptors and sessions to come back to. The CLI that asks
    // is a peer while it asks, and its connection is closed (BYE) when it exits.
    long fds_before = -1;
    ASSERT_TRUE(wait_until(
        [&] {
            const long a = open_fds(broker);
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            fds_before = open_fds(broker);
            return a == fds_before && a > 0;
        },
        10.0));
    const cli_report before = stats();
    ASSERT_TRUE(before.ok) << before.output;
    const long peers_before = before.number("peers");
    const long clients_before = before.number("clients");

    // Host b: a worker, and a client with long tasks (it stays connected, waiting).
    cluster.add_worker("far", {"--concurrency", "8", "--prefetch", "0", "--log-level", "warn"},
                       hosts.on_b());
    scratch_dir dir;
    const std::string log = dir.file("far-client.log");
    const batch::spec spec{batch::kind::sleep, 2000, 4000};
    auto far_client =
        child_process::spawn(batch_client_argv(hosts.on_b(), cluster.endpoint(), log, spec, 40, 40,
                                               {"--timeout", "120", "--name", "far-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "accepted") == 40; }, 30.0));
    ASSERT_TRUE(wait_until([&] { return workers().rows.size() == 2; }, 20.0));
    ASSERT_TRUE(wait_until([&] { return open_fds(broker) >= fds_before + 2; }, 10.0))
        << "host b's two connections are not among the broker's descriptors (" << open_fds(broker)
        << " open, " << fds_before << " before)";
    const long fds_joined = open_fds(broker);
    const cli_report joined = stats();
    ASSERT_TRUE(joined.ok) << joined.output;
    EXPECT_EQ(joined.number("peers"), peers_before + 2) << joined.output;

    // Host b vanishes, for good.
    link_cut cut(hosts.namespace_b());
    ASSERT_TRUE(cut.cut()) << cut.why();
    const auto cut_at = clock_type::now();

    // Sessions first (liveness, 5 s), then the descriptors (the ZeroMQ heartbeat, ~12 s).
    long peers_now = -1;
    ASSERT_TRUE(wait_until(
        [&] {
            const cli_report s = stats();
            peers_now = s.number("peers");
            return s.ok && peers_now == peers_before && s.number("clients") == clients_before;
        },
        30.0))
        << "the vanished host's sessions were still held 30 s after the cut: peers " << peers_now
        << " (" << peers_before << " before)";
    const double sessions_after_s = seconds_since(cut_at);
    long fds_now = -1;
    EXPECT_TRUE(wait_until([&] { return (fds_now = open_fds(broker)) <= fds_before; },
                           std::max(1.0, 30.0 - seconds_since(cut_at))))
        << "the broker still had " << fds_now << " descriptors open 30 s after the cut ("
        << fds_before << " before host b joined, " << fds_joined << " with it)";
    const double fds_after_s = seconds_since(cut_at);

    const cli_report after = stats();
    ASSERT_TRUE(after.ok) << after.output;
    EXPECT_GE(after.number("workers_dead"), 1) << after.output;
    EXPECT_GE(after.number("clients_dead"), 1) << after.output;
    EXPECT_EQ(workers().rows.size(), 1u) << "the far worker is still listed";
    EXPECT_TRUE(cluster.broker().running());
    // Its tasks run on: the near worker takes whatever the far one held.
    EXPECT_TRUE(wait_until([&] { return stats().number("pending") == 0; }, 60.0))
        << "the far client's tasks did not all finish on the near worker";

    std::printf(
        "[ vanished host ] broker descriptors: %ld before host b, %ld with it, %ld %.1f s after "
        "the cut; "
        "sessions: peers %ld -> %ld -> %ld after %.1f s; workers_dead %ld, clients_dead %ld, "
        "requeued %ld\n",
        fds_before, fds_joined, open_fds(broker), fds_after_s, peers_before, joined.number("peers"),
        peers_now, sessions_after_s, after.number("workers_dead"), after.number("clients_dead"),
        after.number("requeued"));
}

}  // namespace
