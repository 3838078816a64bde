// Issue 20's failover suite with every server on a machine of its own (network namespaces on
// one switch, net_hosts.hpp): three Redis servers, each with its sentinel beside it
// (sentinel_hosts.hpp: AOF always, min-replicas-to-write 1), two brokers with a lease
// (--ha-lease-ms) that find the primary through the sentinels and answer ACCEPTED only once a
// replica has the task (--redis-wait-replicas 1), two workers and a batch client
// (batch_client.cpp) that know both brokers, each on a host of its own. The client submits a
// steady stream of add(i, i) while:
//
//   - the active broker is killed (SIGKILL): the standby holds the lease within 2x its time;
//   - the Redis primary is killed (SIGKILL): the sentinels promote a replica, the brokers
//     follow it (the lease, kept on the dead primary, passes too).
//
// What must hold in both: every task the client was told was accepted ends with its value,
// once (outcome_checker.hpp), and the primary at the end holds one right result per id and
// nothing for a refused task (durability_checker.hpp). Tasks refused `unavailable` while
// there is no primary are allowed; nothing accepted may be lost.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/child_process.hpp"
#include "process/local_cluster.hpp"
#include "process/net_hosts.hpp"
#include "process/outcome_checker.hpp"
#include "process/wait_until.hpp"
#include "redis/durability_checker.hpp"
#include "redis/redis_server.hpp"
#include "redis/sentinel_hosts.hpp"

namespace {

using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::count_log_lines;
using shoal::testing::inspect_through_cli;
using shoal::testing::joined;
using shoal::testing::net_hosts;
using shoal::testing::outcome_checker;
using shoal::testing::redis_server;
using shoal::testing::scratch_dir;
using shoal::testing::seen_task;
using shoal::testing::sentinel_hosts;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;
using clock_type = std::chrono::steady_clock;

constexpr int lease_ms = 1000;
constexpr int broker_port = 5555;

// The hosts, by index.
enum host : std::size_t { redis1, redis2, redis3, broker_a, broker_b, worker1, worker2, client };

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// What the client's outcome log says of each task, for the durability checker: accepted ones
// with the first value they ended with, refused ones with their code.
std::vector<seen_task> seen_in_log(const std::string& path, std::map<std::string, int>& refusals) {
    struct entry {
        std::size_t index = 0;
        bool accepted = false;
        std::string refused;  // the code
        bool has_value = false;
        long value = 0;
        std::string error;
    };
    std::map<std::string, entry> by_id;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string tag;
        std::string id;
        fields >> tag >> id;
        if (tag != "accepted" && tag != "refused" && tag != "result" && tag != "error") continue;
        entry& e = by_id[id];
        if (tag == "accepted") {
            fields >> e.index;
            e.accepted = true;
        } else if (tag == "refused") {
            fields >> e.index >> e.refused;
            ++refusals[e.refused];
        } else if (tag == "result" && !e.has_value) {
            fields >> e.value;
            e.has_value = true;
        } else if (tag == "error" && e.error.empty()) {
            std::getline(fields, e.error);
        }
    }
    std::vector<seen_task> out;
    for (const auto& [id, e] : by_id) {
        seen_task t;
        t.id = id;
        t.expected = 2 * static_cast<long>(e.index);
        if (!e.refused.empty()) {
            t.how = e.refused == "unavailable" ? seen_task::end::refused_unavailable
                                               : seen_task::end::other_error;
            t.error = e.refused;
        } else if (e.accepted && e.has_value) {
            t.how = seen_task::end::value;
            t.value = e.value;
        } else if (e.accepted && !e.error.empty()) {
            t.how = seen_task::end::other_error;
            t.error = e.error;
        }
        out.push_back(t);
    }
    return out;
}

// Eight machines: three Redis (each with its sentinel), two brokers, two workers, a client.
class ha_cluster {
  public:
    ha_cluster()
        : hosts_({"redis1", "redis2", "redis3", "broker-a", "broker-b", "worker1", "worker2",
                  "client"}) {}

    net_hosts& hosts() { return hosts_; }
    sentinel_hosts& redis() { return *redis_; }

    void start_redis() {
        redis_ = std::make_unique<sentinel_hosts>(hosts_,
                                                  std::vector<std::size_t>{redis1, redis2, redis3});
    }

    std::string endpoint(std::size_t i) const {
        return "tcp://" + hosts_.address(i == 0 ? broker_a : broker_b) + ":" +
               std::to_string(broker_port);
    }
    std::string both() const { return endpoint(0) + "," + endpoint(1); }
    static const char* name(std::size_t i) { return i == 0 ? "a" : "b"; }

    // Starts broker i (a or b) on its host and reads the endpoint it prints.
    bool start_broker(std::size_t i) {
        std::vector<std::string> argv = hosts_.on(i == 0 ? broker_a : broker_b);
        argv.insert(argv.end(), {cluster_paths::broker(),
                                 "--bind",
                                 endpoint(i),
                                 "--print-endpoint",
                                 "--redis",
                                 redis_->url(),
                                 "--ha-lease-ms",
                                 std::to_string(lease_ms),
                                 "--ha-name",
                                 name(i),
                                 "--redis-wait-replicas",
                                 "1",
                                 "--redis-timeout-ms",
                                 "2000",
                                 "--heartbeat-ms",
                                 "100",
                                 "--liveness",
                                 "10",
                                 "--log-level",
                                 "info"});
        brokers_[i] = child_process::spawn(argv);
        return brokers_[i].read_line(30.0).value_or("") == endpoint(i);
    }

    void start_workers() {
        for (const std::size_t h : {worker1, worker2}) {
            std::vector<std::string> argv = hosts_.on(h);
            argv.insert(argv.end(), {cluster_paths::worker(), "--broker", both(), "--tasks",
                                     cluster_paths::seed_tasks(), "--name", hosts_.name(h),
                                     "--concurrency", "8", "--log-level", "warn"});
            workers_.push_back(child_process::spawn(argv));
        }
    }

    // The stream: add(i, i) for i < count, in chunks of `chunk` every `pause_ms`.
    void start_client(std::size_t count, std::size_t chunk, int pause_ms) {
        client_ = child_process::spawn(
            batch_client_argv(hosts_.on(client), both(), log(), spec(), count, chunk,
                              {"--pause-ms", std::to_string(pause_ms), "--check-stored",
                               "--timeout", "200", "--name", "stream-client"}));
    }
    child_process& client_process() { return client_; }
    std::string log() const { return dir_.file("client.log"); }
    static batch::spec spec() { return batch::spec{batch::kind::add, 0, 0}; }

    child_process& broker(std::size_t i) { return brokers_[i]; }

    // The primary as the sentinels name it (nullptr while none answers).
    redis_server* primary() { return redis_->server_on(redis_->primary_address()); }

    // The lease's holder ("a", "b" or "") and epoch (0) on `on` (the primary).
    static std::string holder_on(redis_server& on) {
        try {
            const std::string token = on.command({"GET", "shoal:broker:lease"}, 2.0);
            const auto colon = token.find(':');
            return token == "(nil)" || colon == std::string::npos ? "" : token.substr(colon + 1);
        } catch (const std::exception&) {
            return "";
        }
    }
    static long epoch_on(redis_server& on) {
        const std::string e = on.command({"GET", "shoal:broker:epoch"});
        return e == "(nil)" || e.rfind("ERR:", 0) == 0 ? 0 : std::stol(e);
    }

    // An INSPECT report through the CLI, from the client's host, to whichever broker serves.
    shoal::testing::cli_report inspect(const std::string& what) {
        return inspect_through_cli(hosts_.on(client), both(), what);
    }

  private:
    // Members go in reverse: the programs first, then Redis, then the hosts.
    net_hosts hosts_;
    scratch_dir dir_;
    std::unique_ptr<sentinel_hosts> redis_;
    child_process brokers_[2];
    std::vector<child_process> workers_;
    child_process client_;
};

// Redis and its sentinels, a active, b standing by, both workers joined.
void start_cluster(ha_cluster& c) {
    ASSERT_TRUE(c.hosts().available())
        << "cannot make the network namespaces (needs root): " << c.hosts().why();
    const auto started = clock_type::now();
    ASSERT_NO_THROW(c.start_redis());
    redis_server* primary = c.primary();
    ASSERT_NE(primary, nullptr) << "no sentinel names a primary";
    ASSERT_TRUE(c.start_broker(0)) << "broker a did not start";
    ASSERT_TRUE(wait_until([&] { return ha_cluster::holder_on(*primary) == "a"; }, 30.0))
        << "a never took the lease";
    ASSERT_TRUE(c.start_broker(1)) << "broker b did not start";
    c.start_workers();
    ASSERT_TRUE(wait_until([&] { return c.inspect("workers").rows.size() == 2; }, 60.0))
        << "the workers did not join broker a";
    std::printf("8 hosts, Redis with sentinels, brokers and workers up in %.1f s\n",
                seconds_since(started));
}

// The outcome log's promises (outcome_checker.hpp) and the primary's (durability_checker.hpp).
void check_outcomes(ha_cluster& c, redis_server& primary, std::size_t count,
                    bool refusals_allowed) {
    outcome_checker checker(
        [](std::size_t i) { return batch::expected_value(ha_cluster::spec(), i); });
    ASSERT_TRUE(checker.read_log(c.log()));
    EXPECT_TRUE(checker.ended()) << "the client did not see every accepted task end";
    auto problems = checker.violations();
    if (checker.stored_count() != checker.accepted_count()) {
        problems.push_back("stored " + std::to_string(checker.stored_count()) + " of " +
                           std::to_string(checker.accepted_count()) + " accepted");
    }
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);

    std::map<std::string, int> refusals;
    const auto seen = seen_in_log(c.log(), refusals);
    const auto stored = shoal::testing::read_stored(primary);
    const auto breaches = shoal::testing::durability_violations(seen, stored);
    EXPECT_TRUE(breaches.empty()) << breaches.size() << " breaches in Redis on " << primary.host()
                                  << ":" << joined(breaches);
    EXPECT_EQ(stored.results.size(), checker.accepted_count())
        << "Redis should hold one result per accepted id";

    const std::size_t lost =
        checker.accepted_count() - std::min(checker.accepted_count(), checker.result_count());
    std::printf("%zu tasks: %zu accepted, %zu refused, %zu lost; %zu results in Redis on %s\n",
                count, checker.accepted_count(), checker.refused_count(), lost,
                stored.results.size(), primary.host().c_str());
    for (const auto& [code, n] : refusals) std::printf("  refused %s: %d\n", code.c_str(), n);
    EXPECT_EQ(checker.accepted_count() + checker.refused_count(), count);
    if (refusals_allowed) {
        for (const auto& [code, n] : refusals) EXPECT_EQ(code, "unavailable") << n << " refused";
    } else {
        EXPECT_EQ(checker.refused_count(), 0u);
    }
}

TEST(HaClusterNetns, KillNineTheActiveBrokerAndTheStandbyOnAnotherHostTakesOverLosingNothing) {
    const auto began = clock_type::now();
    ha_cluster c;
    ASSERT_NO_FATAL_FAILURE(start_cluster(c));
    redis_server* primary = c.primary();
    ASSERT_NE(primary, nullptr);
    const long first_epoch = ha_cluster::epoch_on(*primary);

    // About 40 chunks a second: 4000 tasks take several seconds, the kill comes after 1000.
    constexpr std::size_t count = 4000;
    c.start_client(count, 25, 20);
    ASSERT_TRUE(wait_until([&] { return count_log_lines(c.log(), "accepted") >= 1000; }, 60.0))
        << "the stream did not start";
    const std::string active = ha_cluster::holder_on(*primary);
    ASSERT_TRUE(active == "a" || active == "b") << "no broker holds the lease: '" << active << "'";
    const std::size_t victim = active == "a" ? 0 : 1;
    const std::string standby = ha_cluster::name(1 - victim);
    c.broker(victim).signal(SIGKILL);
    ASSERT_TRUE(c.broker(victim).wait(10.0).has_value());
    const auto killed = clock_type::now();
    const std::size_t accepted_at_kill = count_log_lines(c.log(), "accepted");
    ASSERT_TRUE(c.client_process().running()) << "the stream ended before the kill";

    const bool took = wait_until([&] { return ha_cluster::holder_on(*primary) == standby; },
                                 10.0 * lease_ms / 1000.0);
    const double took_s = seconds_since(killed);
    ASSERT_TRUE(took) << standby << " did not take the lease (holder '"
                      << ha_cluster::holder_on(*primary) << "')";
    std::printf(
        "broker %s (on %s) held the lease %.2f s after broker %s was killed (lease %d "
        "ms), %zu tasks accepted by then\n",
        standby.c_str(), c.hosts().address(victim == 0 ? broker_b : broker_a).c_str(), took_s,
        active.c_str(), lease_ms, accepted_at_kill);
    EXPECT_LE(took_s, 2.0 * lease_ms / 1000.0);
    EXPECT_EQ(ha_cluster::epoch_on(*primary), first_epoch + 1);

    ASSERT_EQ(c.client_process().wait(240.0), 0) << "the client did not finish its stream";
    EXPECT_GT(count_log_lines(c.log(), "accepted"), accepted_at_kill)
        << "nothing was accepted after the kill";
    ASSERT_NO_FATAL_FAILURE(check_outcomes(c, *primary, count, false));

    const auto brokers = c.inspect("brokers");
    ASSERT_TRUE(brokers.ok) << brokers.output;
    ASSERT_EQ(brokers.rows.size(), 1u);
    EXPECT_EQ(brokers.rows[0].at("name"), standby);
    EXPECT_EQ(brokers.rows[0].at("role"), "active");
    EXPECT_EQ(brokers.rows[0].at("epoch"), std::to_string(first_epoch + 1));
    std::printf("scenario took %.1f s\n", seconds_since(began));
}

TEST(HaClusterNetns, KillNineTheRedisPrimaryAndASentinelPromotedReplicaKeepsEveryAcceptedTask) {
    const auto began = clock_type::now();
    ha_cluster c;
    ASSERT_NO_FATAL_FAILURE(start_cluster(c));
    redis_server* first = c.primary();
    ASSERT_NE(first, nullptr);
    const std::string first_address = first->host();

    // About 15 chunks a second for several seconds past the failover: the sentinels need 2 s
    // to declare the primary down, then elect and promote.
    constexpr std::size_t count = 4000;
    c.start_client(count, 20, 50);
    ASSERT_TRUE(wait_until([&] { return count_log_lines(c.log(), "accepted") >= 600; }, 60.0))
        << "the stream did not start";
    first->kill9();
    const auto killed = clock_type::now();
    const std::size_t accepted_at_kill = count_log_lines(c.log(), "accepted");
    ASSERT_TRUE(c.client_process().running()) << "the stream ended before the kill";

    const bool promoted = wait_until(
        [&] {
            const std::string now = c.redis().primary_address();
            return !now.empty() && now != first_address;
        },
        60.0);
    const double promoted_s = seconds_since(killed);
    ASSERT_TRUE(promoted) << "the sentinels promoted no replica";
    redis_server* second = c.primary();
    ASSERT_NE(second, nullptr);
    std::printf(
        "sentinels promoted %s %.2f s after the primary %s was killed, %zu tasks "
        "accepted by then\n",
        second->host().c_str(), promoted_s, first_address.c_str(), accepted_at_kill);
    ASSERT_TRUE(wait_until([&] { return !ha_cluster::holder_on(*second).empty(); }, 60.0))
        << "no broker took the lease on the new primary";
    std::printf("broker %s held the lease on the new primary %.2f s after the kill\n",
                ha_cluster::holder_on(*second).c_str(), seconds_since(killed));
    const std::size_t accepted_at_lease = count_log_lines(c.log(), "accepted");

    ASSERT_EQ(c.client_process().wait(240.0), 0) << "the client did not finish its stream";
    EXPECT_GT(count_log_lines(c.log(), "accepted"), accepted_at_lease)
        << "nothing was accepted after the failover";
    EXPECT_EQ(second->command({"ROLE"}).substr(0, 6), "master");
    ASSERT_NO_FATAL_FAILURE(check_outcomes(c, *second, count, true));
    std::printf("scenario took %.1f s\n", seconds_since(began));
}

}  // namespace
