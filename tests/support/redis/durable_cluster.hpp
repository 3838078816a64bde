#pragma once
// durable_cluster: a real redis-server, a real shoal-broker using it, two real workers and an
// in-process client, for the durability fault tests. Tasks are add(i, i), each remembered with
// the value it must return, for the durability checker.

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "redis/durability_checker.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace shoal::testing {

class durable_cluster {
  public:
    // Heartbeats every 100 ms; a worker is dead after `liveness` silent periods.
    explicit durable_cluster(redis_server_options redis_options, double redis_timeout_s = 1.0,
                             int liveness = 10)
        : redis_(redis_options),
          cluster_({"--redis", redis_.url(), "--redis-timeout-ms",
                    std::to_string(static_cast<int>(redis_timeout_s * 1000)), "--heartbeat-ms",
                    "100", "--liveness", std::to_string(liveness), "--log-level", "warn"}) {
        if (cluster_.endpoint().empty()) return;
        cluster_.add_worker("w1", {"--log-level", "warn"});
        cluster_.add_worker("w2", {"--log-level", "warn"});
        client_options o;
        o.reconnect_max_s = 0.5;
        o.fetch_poll_max_s = 0.5;
        client_ = std::make_unique<shoal::client>(cluster_.endpoint(), o);
    }

    bool ready() {
        return client_ && client_->wait_connected(20.0) &&
               wait_until([&] { return client_->inspect("workers").result(5.0).rows.size() == 2; },
                          20.0);
    }

    // Submits add(i, i) for the next `count` values of i.
    void submit_wave(std::size_t count) {
        for (std::size_t k = 0; k < count; ++k) {
            const long i = next_++;
            futures_.push_back(client_->submit(shoal_examples::add, i, i));
            expected_.push_back(2 * i);
        }
        client_->flush(10.0);  // bounded: a refusal or an acceptance comes within the Redis timeout
    }

    std::size_t finished() const {
        std::size_t n = 0;
        for (const auto& f : futures_) n += f.done() ? 1 : 0;
        return n;
    }

    // Everyone's record, checked.
    std::vector<seen_task> outcomes(double timeout_s) {
        return record_all(futures_, expected_, timeout_s);
    }

    long broker_rss_kib() {
        std::ifstream status("/proc/" + std::to_string(cluster_.broker().pid()) + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
        }
        return -1;
    }

    std::string stat(const std::string& key) {
        const auto rows = client_->inspect("stats").result(5.0).rows;
        return rows.empty() ? std::string() : field(rows.front(), key);
    }

    redis_server& redis() noexcept { return redis_; }
    local_cluster& cluster() noexcept { return cluster_; }
    shoal::client& client() noexcept { return *client_; }
    std::vector<remote_future<long>>& futures() noexcept { return futures_; }

  private:
    redis_server redis_;
    local_cluster cluster_;
    std::unique_ptr<shoal::client> client_;
    std::vector<remote_future<long>> futures_;
    std::vector<long> expected_;
    long next_ = 1;
};

// Prints the endings and fails the test with every violation found.
inline void expect_durable(const std::vector<seen_task>& seen, redis_server& redis) {
    const auto n = endings(seen);
    const auto count = [&](seen_task::end e) { return n.count(e) ? n.at(e) : 0; };
    std::printf("tasks: %zu done, %zu refused (unavailable), %zu errors, %zu without an end\n",
                count(seen_task::end::value), count(seen_task::end::refused_unavailable),
                count(seen_task::end::other_error), count(seen_task::end::none));
    const std::vector<std::string> violations = durability_violations(seen, read_stored(redis));
    for (std::size_t i = 0; i < violations.size() && i < 20; ++i) ADD_FAILURE() << violations[i];
    EXPECT_TRUE(violations.empty()) << violations.size() << " violations";
}

}  // namespace shoal::testing
