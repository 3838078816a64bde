// The `shoal` CLI against a real cluster: what a user types, what it prints, its exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::wait_until;

class CliTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_FALSE(cluster_.endpoint().empty()); }

    void start_worker() {
        cluster_.add_worker("cli-worker");
        ASSERT_TRUE(wait_until([&] { return cluster_.cli({"status"}).status == 0; }, 20.0));
    }

    local_cluster cluster_;
};

TEST_F(CliTest, StatusFailsWithoutWorkersAndPassesWithOne) {
    EXPECT_NE(cluster_.cli({"status"}).status, 0);
    start_worker();
    const auto r = cluster_.cli({"status"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("cli-worker"), std::string::npos) << r.out;
}

TEST_F(CliTest, SubmitWaitPrintsTheResultAndJsonArgumentsTravel) {
    start_worker();
    auto r = cluster_.cli({"submit", "add", "2", "3", "--wait"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "5\n");
    r = cluster_.cli({"submit", "word_count", "\"a b a\"", "--wait", "--json"});
    EXPECT_EQ(r.status, 0) << r.out;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.dump().find("\"a\":2") != std::string::npos, true) << r.out;
}

TEST_F(CliTest, SubmitThenResultById) {
    start_worker();
    auto r = cluster_.cli({"submit", "add", "20", "22"});
    ASSERT_EQ(r.status, 0);
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    ASSERT_EQ(id.size(), 32u) << r.out;
    ASSERT_TRUE(wait_until([&] {
        r = cluster_.cli({"result", id, "--json"});
        return r.status == 0 && r.out.find("done") != std::string::npos;
    }, 20.0)) << r.out;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_NE(doc.dump().find("42"), std::string::npos) << r.out;
    // An id nobody submitted: a distinct answer and a failing exit code.
    r = cluster_.cli({"result", std::string(32, 'a'), "--json"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(nlohmann::json::parse(r.out)["state"], "unknown") << r.out;
}

TEST_F(CliTest, AFailingTaskExitsNonZeroAndSaysWhy) {
    start_worker();
    const auto r = cluster_.cli({"submit", "fail", "\"out of tea\"", "--wait"});
    EXPECT_EQ(r.status, 1);
    const auto bad = cluster_.cli({"submit", "add", "{not json", "--wait"});
    EXPECT_EQ(bad.status, 2);
}

TEST_F(CliTest, PurgeDropsQueuedTasksAndInspectShowsQueues) {
    // No worker: submitted tasks wait in their queue.
    for (int i = 0; i < 3; ++i) ASSERT_EQ(cluster_.cli({"submit", "add", "1", "1", "--queue", "later"}).status, 0);
    auto r = cluster_.cli({"inspect", "queues", "--json"});
    ASSERT_EQ(r.status, 0);
    auto doc = nlohmann::json::parse(r.out);
    bool found = false;
    for (const auto& row : doc["rows"]) {
        if (row["name"] == "later") {
            found = true;
            EXPECT_EQ(row["length"], 3);
        }
    }
    EXPECT_TRUE(found) << r.out;
    r = cluster_.cli({"purge", "later", "--json"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("3"), std::string::npos) << r.out;
}

TEST_F(CliTest, InspectStatsShowsTheBrokersCounters) {
    ASSERT_EQ(cluster_.cli({"submit", "add", "1", "1", "--queue", "later"}).status, 0);
    const auto r = cluster_.cli({"inspect", "stats", "--json"});
    ASSERT_EQ(r.status, 0) << r.out;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["rows"].size(), 1u) << r.out;
    EXPECT_EQ(doc["rows"][0]["submitted"], 1);
    EXPECT_EQ(doc["rows"][0]["redis"], "off");  // this cluster keeps everything in memory
}

TEST_F(CliTest, AnUnreachableBrokerIsExitThree) {
    shoal::testing::child_process p = shoal::testing::child_process::spawn(
        {shoal::testing::cluster_paths::cli(), "status", "--broker", "tcp://127.0.0.1:1", "--timeout", "0.5"});
    EXPECT_EQ(p.wait(20.0), 3);
}

}  // namespace
