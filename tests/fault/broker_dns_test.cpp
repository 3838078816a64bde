// One name for all the brokers (PROTOCOL.md 6.7): workers and a client given only
// tcp://shoal-brokers:5555, a name that resolves to both brokers' addresses, as a DNS name
// with several A records would. Two "machines" (network namespaces, two_hosts.hpp): broker a
// on host a; Redis, broker b, the workers and the client on host b, whose resolver reads its
// own /etc/hosts (`ip netns exec` mounts /etc/netns/NAME/hosts over /etc/hosts). a is active
// and is killed (SIGKILL) mid-batch: the peers, knowing only the name, must find b.
//
// Without the expansion, ZeroMQ resolves the name to one address and the peers keep knocking
// at that one: a dead broker, or a standby that answers not_active.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/child_process.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/two_hosts.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_on_host.hpp"

namespace {

using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::count_log_lines;
using shoal::testing::inspect_through_cli;
using shoal::testing::joined;
using shoal::testing::outcome_checker;
using shoal::testing::output_of;
using shoal::testing::scratch_dir;
using shoal::testing::two_hosts;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;

constexpr int lease_ms = 1000;

// /etc/netns/NAME/hosts for the test's life: the namespace's own /etc/hosts.
class netns_hosts_file {
  public:
    netns_hosts_file(const std::string& ns, const std::string& lines) : dir_("/etc/netns/" + ns) {
        std::filesystem::create_directories(dir_);
        std::ofstream(dir_ + "/hosts") << "127.0.0.1 localhost\n" << lines;
    }
    ~netns_hosts_file() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    netns_hosts_file(const netns_hosts_file&) = delete;
    netns_hosts_file& operator=(const netns_hosts_file&) = delete;

  private:
    std::string dir_;
};

TEST(BrokerDns, PeersGivenOneNameForBothBrokersFindTheActiveAndFollowTheFailover) {
    two_hosts hosts;
    ASSERT_TRUE(hosts.available())
        << "cannot make the network namespaces (needs root): " << hosts.why();
    // b first: a peer that tried only the first address would meet the standby.
    const netns_hosts_file names(hosts.namespace_b(), hosts.address_b() + " shoal-brokers\n" +
                                                          hosts.address_a() + " shoal-brokers\n");
    ASSERT_EQ(output_of({"/usr/sbin/ip", "netns", "exec", hosts.namespace_b(), "/usr/bin/getent",
                         "ahostsv4", "shoal-brokers"})
                      .find(hosts.address_a()) != std::string::npos,
              true)
        << "host b's resolver does not know the name";
    scratch_dir dir;
    const shoal::testing::redis_on_host redis(hosts.on_b(), hosts.address_b(), dir);
    ASSERT_TRUE(redis.up()) << "redis did not start on host b";
    const std::string redis_url = redis.url();
    const auto holder = [&] { return redis.lease_holder(); };

    // Both on port 5555, each on its own host: one name and port reach either.
    const auto broker = [&](const std::vector<std::string>& on, const std::string& address,
                            const std::string& name) {
        std::vector<std::string> argv = on;
        argv.insert(argv.end(), {cluster_paths::broker(), "--bind", "tcp://" + address + ":5555",
                                 "--print-endpoint", "--redis", redis_url, "--ha-lease-ms",
                                 std::to_string(lease_ms), "--ha-name", name, "--heartbeat-ms",
                                 "100", "--liveness", "10", "--log-level", "info"});
        return child_process::spawn(argv);
    };
    auto broker_a = broker(hosts.on_a(), hosts.address_a(), "a");
    ASSERT_TRUE(broker_a.read_line(20.0).has_value());
    ASSERT_TRUE(wait_until([&] { return holder() == "a"; }, 20.0)) << "a never took the lease";
    auto broker_b = broker(hosts.on_b(), hosts.address_b(), "b");
    ASSERT_TRUE(broker_b.read_line(20.0).has_value());

    const std::string name = "tcp://shoal-brokers:5555";
    std::vector<child_process> workers;
    for (const char* w : {"w1", "w2"}) {
        std::vector<std::string> argv = hosts.on_b();
        argv.insert(argv.end(), {cluster_paths::worker(), "--broker", name, "--tasks",
                                 cluster_paths::seed_tasks(), "--name", w, "--concurrency", "50",
                                 "--log-level", "warn"});
        workers.push_back(child_process::spawn(argv));
    }
    ASSERT_TRUE(wait_until(
        [&] { return inspect_through_cli(hosts.on_b(), name, "workers").rows.size() == 2; }, 60.0))
        << "the workers did not find the active broker through the name";

    const batch::spec spec{batch::kind::sleep, 20, 60};
    const std::string log = dir.file("client.log");
    auto client = child_process::spawn(
        batch_client_argv(hosts.on_b(), name, log, spec, 3000, 100,
                          {"--check-stored", "--timeout", "90", "--name", "dns-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 200; }, 60.0))
        << "the batch did not start";

    broker_a.signal(SIGKILL);
    ASSERT_TRUE(wait_until([&] { return holder() == "b"; }, 10.0 * lease_ms / 1000))
        << "b did not take the lease (holder '" << holder() << "')";

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
    // The workers followed too: both serve b.
    EXPECT_TRUE(wait_until(
        [&] { return inspect_through_cli(hosts.on_b(), name, "workers").rows.size() == 2; }, 60.0));
}

}  // namespace
