// A chord survives what a real cluster goes through (PROTOCOL.md section 6.5): 10,000 header
// tasks run while a worker is killed (SIGKILL) and the broker is killed and started again on
// the same Redis, and the client that submitted it closes. The callback still fires exactly
// once, with every header result: it appends a line to a journal each time it runs.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::redis_server;
using shoal::testing::wait_until;
namespace ex = shoal_examples;

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

long completed(shoal::client& client) {
    const auto rows = client.inspect("stats").result(10.0).rows;
    return rows.empty() ? -1 : std::stol(shoal::testing::field(rows.front(), "completed"));
}

TEST(ChordRestart, TheCallbackFiresOnceThroughAWorkerKillAndABrokerRestart) {
    redis_server redis;
    // The header is paced (2,000 adds a second) so that the kills land in the middle of it.
    local_cluster cluster(
        {"--redis", redis.url(), "--rate-limits", "add=2000/s", "--log-level", "warn"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1", {"--log-level", "warn"});
    cluster.add_worker("w2", {"--log-level", "warn"});
    const std::string journal = redis.dir() + "/journal.txt";

    constexpr long header_size = 10'000;
    long expected = 0;
    std::vector<shoal::task_signature<long, void>> header;
    for (long i = 1; i <= header_size; ++i) {
        header.push_back(ex::add.s(i, i));
        expected += 2 * i;
    }
    shoal::proto::task_id callback;
    {
        shoal::client submitter(cluster.endpoint());
        ASSERT_TRUE(submitter.wait_connected(20.0));
        callback =
            submitter.submit(shoal::chord(shoal::group(header), ex::journal_sum.s(journal))).id();
        ASSERT_TRUE(submitter.flush(60.0));  // accepted, so stored in Redis: then it leaves
    }

    shoal::client_options o;
    o.reconnect_max_s = 0.5;
    o.fetch_poll_max_s = 0.5;
    shoal::client watcher(cluster.endpoint(), o);
    ASSERT_TRUE(watcher.wait_connected(20.0));
    ASSERT_TRUE(wait_until([&] { return completed(watcher) >= 1'000; }, 60.0));
    cluster.worker(0).signal(SIGKILL);
    ASSERT_TRUE(wait_until([&] { return completed(watcher) >= 3'000; }, 60.0));
    const long before_restart = completed(watcher);
    EXPECT_LT(before_restart, header_size) << "the header finished before the broker restart";
    cluster.kill_broker();
    ASSERT_TRUE(cluster.restart_broker());

    auto result = watcher.fetch<long>(callback);
    EXPECT_EQ(result.get(120.0), expected);
    // Exactly once: one line, whatever was run again after the kills. Give a second run, were
    // there one, time to show.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto lines = lines_of(journal);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], std::to_string(expected));
}

}  // namespace
