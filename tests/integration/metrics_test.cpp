// The broker's HTTP listener (--http): /metrics after a known batch (per task name, per
// worker, per queue; `promtool check metrics` accepts it), /healthz, and /readyz following
// the Redis link.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "shoal/common/version.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::testing::local_cluster;
using shoal::testing::run_merged;
using shoal::testing::wait_until;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct http_reply {
    int status = 0;
    std::string body;
};

// GET http://ADDRESS/PATH ("" status 0 when nothing answered within 30 s).
http_reply get(const std::string& address, const std::string& path) {
    httplib::Client client("http://" + address);
    client.set_connection_timeout(30);
    client.set_read_timeout(30);
    const auto r = client.Get(path.c_str());
    if (!r) return {};
    return {r->status, r->body};
}

// A cluster whose broker serves HTTP on a free port; the address from its second line.
class MetricsTest : public ::testing::Test {
  protected:
    explicit MetricsTest(std::vector<std::string> more_args = {})
        : cluster_(with_http(std::move(more_args))) {}

    static std::vector<std::string> with_http(std::vector<std::string> args) {
        args.insert(args.end(), {"--http", "127.0.0.1:0"});
        return args;
    }

    void SetUp() override {
        ASSERT_FALSE(cluster_.endpoint().empty());
        const auto line = cluster_.broker().read_line(30.0);
        ASSERT_TRUE(line && line->rfind("http://", 0) == 0) << line.value_or("<nothing>");
        http_ = line->substr(7);
    }

    // The value of a sample line `metric value` (exactly as written), or -1.
    double sample(const std::string& metrics, const std::string& metric) {
        std::size_t at = 0;
        while ((at = metrics.find(metric + " ", at)) != std::string::npos) {
            if (at == 0 || metrics[at - 1] == '\n') {
                return std::stod(metrics.substr(at + metric.size() + 1));
            }
            at += metric.size();
        }
        return -1;
    }

    local_cluster cluster_;
    std::string http_;
};

TEST_F(MetricsTest, AKnownBatchIsCountedPerTaskNameWorkerAndQueue) {
    cluster_.add_worker("w-metrics", {"--threads", "1", "--processes", "1"});
    ASSERT_TRUE(wait_until([&] { return cluster_.cli({"status"}).status == 0; }, 30.0));
    // Two successes, a failure retried once, a revoked task, a name nobody offers.
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(cluster_.cli({"submit", "add", "2", "3", "--wait", "--wait-timeout", "60"}).out,
                  "5\n");
    }
    const auto failed = cluster_.cli({"submit", "fail", "\"boom\"", "--max-retries", "1",
                                      "--retry-delay", "0.1", "--wait", "--wait-timeout", "60"});
    EXPECT_NE(failed.status, 0) << failed.out;
    const auto held = cluster_.cli({"submit", "add", "1", "1", "--countdown", "600"});
    ASSERT_EQ(held.status, 0) << held.out;
    const std::string held_id = held.out.substr(0, held.out.find('\n'));
    EXPECT_EQ(cluster_.cli({"revoke", held_id}).status, 0);
    EXPECT_NE(cluster_.cli({"submit", "no_such_task", "--wait", "--wait-timeout", "60"}).status, 0);

    std::string metrics;
    ASSERT_TRUE(wait_until(
        [&] {
            const auto r = get(http_, "/metrics");
            metrics = r.body;
            return r.status == 200 &&
                   sample(metrics, "shoal_task_revoked_total{name=\"add\"}") == 1;
        },
        30.0))
        << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_sent_total{name=\"add\"}"), 3) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_received_total{name=\"add\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_succeeded_total{name=\"add\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_sent_total{name=\"fail\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_received_total{name=\"fail\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_retried_total{name=\"fail\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_failed_total{name=\"fail\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_succeeded_total{name=\"fail\"}"), 0) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_rejected_total{name=\"no_such_task\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_workers_up"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_worker_up{worker=\"w-metrics\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_worker_tasks_processed_total{worker=\"w-metrics\"}"), 4)
        << metrics;
    EXPECT_EQ(sample(metrics, "shoal_worker_info{worker=\"w-metrics\",version=\"shoal/" +
                                  std::string(shoal::version) + "\"}"),
              1)
        << metrics;
    EXPECT_EQ(sample(metrics, "shoal_queue_consumers{queue=\"default\"}"), 1) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_broker_revoked_total"), 1) << metrics;
    EXPECT_GT(sample(metrics, "shoal_broker_max_queued_bytes"), 0) << metrics;
    // Histograms: one runtime per result a worker reported (the retried attempt too), one
    // queue wait per dispatch.
    EXPECT_EQ(sample(metrics, "shoal_task_runtime_seconds_count{name=\"add\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_runtime_seconds_count{name=\"fail\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_queue_wait_seconds_count{name=\"add\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_queue_wait_seconds_count{name=\"fail\"}"), 2) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_task_queue_wait_seconds_bucket{name=\"add\",le=\"+Inf\"}"), 2)
        << metrics;
    EXPECT_GE(sample(metrics, "shoal_task_runtime_seconds_sum{name=\"add\"}"), 0) << metrics;
    EXPECT_EQ(sample(metrics, "shoal_queue_oldest_age_seconds{queue=\"default\"}"), 0)
        << "nothing waits" << metrics;
    EXPECT_FALSE(contains(metrics, held_id)) << "a task id is never a label";

    // Prometheus's own checker accepts the page.
    const fs::path file =
        fs::temp_directory_path() / ("shoal_metrics_" + std::to_string(::getpid()) + ".txt");
    std::ofstream(file) << metrics;
    const auto checked =
        run_merged({"/bin/sh", "-c", "promtool check metrics < \"$0\"", file.string()});
    fs::remove(file);
    EXPECT_EQ(checked.status, 0) << checked.out;
}

TEST_F(MetricsTest, HealthzAndReadyzAnswerWhileTheBrokerServes) {
    const auto health = get(http_, "/healthz");
    EXPECT_EQ(health.status, 200) << health.body;
    const auto ready = get(http_, "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_TRUE(contains(ready.body, cluster_.endpoint())) << ready.body;
    EXPECT_EQ(get(http_, "/nothing").status, 404);
}

struct with_redis {
    shoal::testing::redis_server redis;
};

class DurableMetricsTest : protected with_redis, public MetricsTest {
  protected:
    DurableMetricsTest() : MetricsTest({"--redis", redis.url()}) {}
};

TEST_F(DurableMetricsTest, ReadyzFollowsTheRedisLink) {
    ASSERT_TRUE(wait_until([&] { return get(http_, "/readyz").status == 200; }, 30.0));
    EXPECT_TRUE(contains(get(http_, "/metrics").body, "shoal_redis_up 1"));
    // A task stored (no worker runs it): one write's round trip is measured.
    EXPECT_EQ(cluster_.cli({"submit", "add", "1", "2"}).status, 0);
    EXPECT_TRUE(wait_until(
        [&] {
            return sample(get(http_, "/metrics").body, "shoal_redis_latency_seconds_count") >= 1;
        },
        30.0))
        << get(http_, "/metrics").body;
    // It waits (no worker): its queue's oldest age grows.
    EXPECT_TRUE(wait_until(
        [&] {
            return sample(get(http_, "/metrics").body,
                          "shoal_queue_oldest_age_seconds{queue=\"default\"}") > 0.05;
        },
        30.0))
        << get(http_, "/metrics").body;
    redis.kill9();
    http_reply ready;
    EXPECT_TRUE(wait_until(
        [&] {
            ready = get(http_, "/readyz");
            return ready.status == 503;
        },
        30.0))
        << ready.status << " " << ready.body;
    EXPECT_TRUE(contains(ready.body, "Redis")) << ready.body;
    EXPECT_EQ(get(http_, "/healthz").status, 200);  // alive, only not ready
    EXPECT_TRUE(contains(get(http_, "/metrics").body, "shoal_redis_up 0"));
}

// A loopback port nobody listens on now (the worker binds it a moment later).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

TEST(WorkerHealth, ReadyOnlyWithASessionAndNeverWhileDraining) {
    // No broker: alive, not ready.
    const std::string lonely = "127.0.0.1:" + std::to_string(free_port());
    auto alone = shoal::testing::child_process::spawn(
        {shoal::testing::cluster_paths::worker(), "--broker", "tcp://127.0.0.1:1", "--tasks",
         shoal::testing::cluster_paths::seed_tasks(), "--threads", "1", "--processes", "1",
         "--http", lonely});
    ASSERT_TRUE(wait_until([&] { return get(lonely, "/healthz").status == 200; }, 30.0));
    const auto not_ready = get(lonely, "/readyz");
    EXPECT_EQ(not_ready.status, 503) << not_ready.body;
    EXPECT_TRUE(contains(not_ready.body, "no session")) << not_ready.body;
    alone.signal(SIGTERM);
    EXPECT_EQ(alone.wait(30.0), 0);

    // With a broker: ready; draining (a 10 s task holds the drain open, long enough for a
    // busy machine to see it): not ready, still alive.
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    const std::string http = "127.0.0.1:" + std::to_string(free_port());
    cluster.add_worker("w-health", {"--threads", "1", "--processes", "1", "--http", http});
    EXPECT_TRUE(wait_until([&] { return get(http, "/readyz").status == 200; }, 30.0));
    ASSERT_EQ(cluster.cli({"submit", "sleep", "10"}).status, 0);
    ASSERT_TRUE(wait_until(
        [&] {
            const auto r = cluster.cli({"inspect", "active", "--json"});
            return contains(r.out, "\"started\":1");
        },
        30.0));
    cluster.worker(0).signal(SIGTERM);
    http_reply draining;
    EXPECT_TRUE(wait_until(
        [&] {
            draining = get(http, "/readyz");
            return draining.status == 503;
        },
        30.0))
        << draining.status << " " << draining.body;
    EXPECT_TRUE(contains(draining.body, "draining")) << draining.body;
    EXPECT_EQ(cluster.worker(0).wait(60.0), 0);
}

}  // namespace
