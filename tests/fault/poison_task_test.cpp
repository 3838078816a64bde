// A poison task: its process-pool child dies of SIGSEGV every time it runs. With a delivery
// limit of 3 it runs exactly three times, is then set aside as a dead letter (its future
// fails with the reason, `inspect dead` lists it), the pool replaces each dead child, the
// worker itself never dies, and the other tasks finish on time. `shoal retry` runs it again.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/errors.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

std::int64_t stat(shoal::client& c, const char* key) {
    const auto rows = c.inspect("stats").result(5.0).rows;
    return std::stoll(field(rows.at(0), key));
}

TEST(PoisonTask, RunsExactlyDeliveryLimitTimesThenIsDeadLetteredWhileOthersFinish) {
    local_cluster cluster({"--max-attempts", "3"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1", {"--processes", "2"});
    shoal::client client(cluster.endpoint());
    ASSERT_TRUE(client.wait_connected(20.0));
    ASSERT_TRUE(
        wait_until([&] { return client.inspect("workers").result(5.0).rows.size() == 1; }, 20.0));

    const auto start = std::chrono::steady_clock::now();
    auto poison = client.submit(shoal_examples::crash, 1);
    std::vector<shoal::remote_future<long>> others;
    for (long i = 0; i < 40; ++i) others.push_back(client.submit(shoal_examples::count, i % 3 + 1));
    for (long i = 0; i < 200; ++i) others.push_back(client.submit(shoal_examples::add, i, i));

    try {
        poison.get(60.0);
        ADD_FAILURE() << "the poison task returned";
    } catch (const shoal::task_lost_error& e) {
        EXPECT_EQ(e.code(), "dead_letter");
        EXPECT_NE(std::string(e.what()).find("3 attempts"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("process died"), std::string::npos) << e.what();
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
        const long n = static_cast<long>(i);
        const long expected = i < 40 ? 10'000'000L * (n % 3 + 1) : 2 * (n - 40);
        EXPECT_EQ(others[i].get(60.0), expected) << i;
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(took, 30.0);  // nothing waited on the poison task's crashes

    EXPECT_EQ(stat(client, "dead_lettered"), 1);
    EXPECT_EQ(stat(client, "requeued"), 2);      // runs 2 and 3
    EXPECT_EQ(stat(client, "workers_dead"), 0);  // only children died
    EXPECT_EQ(stat(client, "dispatched"), 3 + static_cast<std::int64_t>(others.size()));
    const auto dead = client.inspect("dead").result(5.0);
    ASSERT_EQ(dead.rows.size(), 1u);
    EXPECT_EQ(field(dead.rows[0], "task"), poison.id().to_hex());
    EXPECT_EQ(field(dead.rows[0], "name"), "crash");

    // The CLI lists it and runs it again; it crashes three more times and is set aside again.
    const auto listed = cluster.cli({"inspect", "dead"});
    EXPECT_EQ(listed.status, 0);
    EXPECT_NE(listed.out.find(poison.id().to_hex()), std::string::npos) << listed.out;
    const auto retried = cluster.cli({"retry", poison.id().to_hex()});
    EXPECT_EQ(retried.status, 0) << retried.out;
    EXPECT_TRUE(wait_until([&] { return stat(client, "dead_lettered") == 2; }, 30.0));
    EXPECT_EQ(stat(client, "requeued_dead"), 1);
    EXPECT_EQ(stat(client, "workers_dead"), 0);
    const auto not_dead = cluster.cli({"retry", "00000000000000000000000000000001"});
    ASSERT_TRUE(not_dead.status.has_value());
    EXPECT_NE(*not_dead.status, 0);
}

}  // namespace
