// Active and standby brokers on two "machines" (network namespaces, two_hosts.hpp): broker a
// alone on host a; Redis, broker b, two workers and the client on host b. Host a's link is cut
// silently (link_cut.hpp: iptables DROP, no reset): broker a can no longer reach Redis nor
// anyone, so it cannot renew its lease and must stop serving before the lease ends; broker b
// takes the lease and serves everyone; when the link heals, broker a stands by (its lease is
// gone and every write of its old epoch is fenced) instead of serving a second cluster.
//
// What the client was told is checked with outcome_checker.hpp: nothing lost, every value
// right, one result per id, and the brokers stored what they told.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/child_process.hpp"
#include "process/link_cut.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/two_hosts.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_on_host.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::count_log_lines;
using shoal::testing::inspect_through_cli;
using shoal::testing::joined;
using shoal::testing::link_cut;
using shoal::testing::outcome_checker;
using shoal::testing::scratch_dir;
using shoal::testing::two_hosts;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;
using clock_type = std::chrono::steady_clock;

constexpr int lease_ms = 1000;

TEST(BrokerPartition, TheCutOffActiveStopsWithinItsLeaseTheStandbyServesAndTheHealedOneStandsBy) {
    two_hosts hosts;
    ASSERT_TRUE(hosts.available())
        << "cannot make the network namespaces (needs root): " << hosts.why();
    scratch_dir dir;
    // Fresh namespaces: fixed ports are free in them.
    const shoal::testing::redis_on_host redis(hosts.on_b(), hosts.address_b(), dir);
    ASSERT_TRUE(redis.up()) << "redis did not start on host b";
    const std::string redis_url = redis.url();
    const auto holder = [&] { return redis.lease_holder(); };

    const std::string a = "tcp://" + hosts.address_a() + ":5555";
    const std::string b = "tcp://" + hosts.address_b() + ":5556";
    const auto broker = [&](const std::vector<std::string>& on, const std::string& bind,
                            const std::string& name) {
        std::vector<std::string> argv = on;
        argv.insert(argv.end(),
                    {cluster_paths::broker(), "--bind", bind, "--print-endpoint", "--redis",
                     redis_url, "--ha-lease-ms", std::to_string(lease_ms), "--ha-name", name,
                     "--heartbeat-ms", "100", "--liveness", "10", "--log-level", "info"});
        return child_process::spawn(argv);
    };
    auto broker_a = broker(hosts.on_a(), a, "a");
    ASSERT_EQ(broker_a.read_line(20.0).value_or(""), a);
    ASSERT_TRUE(wait_until([&] { return holder() == "a"; }, 20.0)) << "a never took the lease";
    auto broker_b = broker(hosts.on_b(), b, "b");
    ASSERT_EQ(broker_b.read_line(20.0).value_or(""), b);

    const std::string both = a + "," + b;
    std::vector<child_process> workers;
    for (const char* name : {"w1", "w2"}) {
        std::vector<std::string> argv = hosts.on_b();
        argv.insert(argv.end(), {cluster_paths::worker(), "--broker", both, "--tasks",
                                 cluster_paths::seed_tasks(), "--name", name, "--concurrency", "50",
                                 "--log-level", "warn"});
        workers.push_back(child_process::spawn(argv));
    }
    ASSERT_TRUE(wait_until(
        [&] { return inspect_through_cli(hosts.on_b(), both, "workers").rows.size() == 2; }, 30.0))
        << "the workers did not join broker a";

    // 3000 sleeps of 20 to 60 ms on 2 x 50 slots: about 1.2 s of work, spread over the cut.
    const batch::spec spec{batch::kind::sleep, 20, 60};
    const std::string log = dir.file("client.log");
    auto client = child_process::spawn(
        batch_client_argv(hosts.on_b(), both, log, spec, 3000, 100,
                          {"--check-stored", "--timeout", "90", "--name", "partition-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 200; }, 30.0))
        << "the batch did not start";

    link_cut cut(hosts.namespace_a());
    ASSERT_TRUE(cut.cut()) << cut.why();
    const auto cut_at = clock_type::now();
    ASSERT_TRUE(wait_until([&] { return holder() == "b"; }, 10.0 * lease_ms / 1000))
        << "b did not take the lease (holder '" << holder() << "')";
    const double took_s = std::chrono::duration<double>(clock_type::now() - cut_at).count();
    std::printf("b held the lease %.2f s after a was cut off (lease %d ms)\n", took_s, lease_ms);
    EXPECT_LE(took_s, 2.0 * lease_ms / 1000);

    // Healed after 3 lease times: a has stopped serving by then and stands by.
    std::this_thread::sleep_until(cut_at + 3s);
    ASSERT_TRUE(cut.heal()) << cut.why();

    ASSERT_EQ(client.wait(120.0), 0) << "the client did not finish its batch";
    outcome_checker checker([&](std::size_t i) { return batch::expected_value(spec, i); });
    ASSERT_TRUE(checker.read_log(log));
    auto problems = checker.violations();
    if (checker.stored_count() != checker.accepted_count()) {
        problems.push_back("stored " + std::to_string(checker.stored_count()) + " of " +
                           std::to_string(checker.accepted_count()) + " accepted");
    }
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);
    EXPECT_EQ(checker.accepted_count(), 3000u);
    EXPECT_EQ(checker.result_count(), 3000u);

    // One takeover, b still active; a started over and stands by (it prints its endpoint
    // again), answering not_active: a client that knows only a is never welcomed.
    EXPECT_EQ(holder(), "b");
    EXPECT_EQ(redis.cli({"GET", "shoal:broker:epoch"}), "2");
    EXPECT_EQ(broker_a.read_line(30.0).value_or("<nothing>"), a) << "a did not start over";
    EXPECT_TRUE(broker_a.running());
    EXPECT_FALSE(inspect_through_cli(hosts.on_b(), a, "brokers").ok)
        << "the old active still serves";
    const auto brokers = inspect_through_cli(hosts.on_b(), both, "brokers");
    ASSERT_TRUE(brokers.ok) << brokers.output;
    ASSERT_GE(brokers.rows.size(), 1u);
    EXPECT_EQ(brokers.rows[0].at("name"), "b");
    EXPECT_EQ(brokers.rows[0].at("role"), "active");
    EXPECT_EQ(brokers.rows[0].at("epoch"), "2");
    // And a, once it has tried the lease again, is listed as the standby it is.
    for (std::size_t i = 1; i < brokers.rows.size(); ++i) {
        EXPECT_EQ(brokers.rows[i].at("name"), "a");
        EXPECT_EQ(brokers.rows[i].at("role"), "standby");
    }
}

}  // namespace
