// The `shoal` CLI against a real cluster: what a user types, what it prints, its exit codes.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

    // The CLI's stdout and stderr together (usage errors and failures go to stderr).
    local_cluster::cli_result cli_both(std::vector<std::string> args, double timeout_s = 30.0) {
        std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                                      shoal::testing::cluster_paths::cli()};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--broker", cluster_.endpoint()});
        auto p = shoal::testing::child_process::spawn(argv);
        local_cluster::cli_result r;
        r.out = p.read_all(timeout_s);
        r.status = p.wait(timeout_s);
        return r;
    }

    // Submits `args` with no worker running (queue "later"): the task stays pending.
    std::string submit_pending(std::vector<std::string> args) {
        args.insert(args.end(), {"--queue", "later"});
        const auto r = cluster_.cli(args);
        EXPECT_EQ(r.status, 0) << r.out;
        std::string id = r.out;
        while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
        EXPECT_EQ(id.size(), 32u) << r.out;
        return id;
    }

    local_cluster cluster_;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

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
    ASSERT_TRUE(wait_until(
        [&] {
            r = cluster_.cli({"result", id, "--json"});
            return r.status == 0 && r.out.find("done") != std::string::npos;
        },
        20.0))
        << r.out;
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
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(cluster_.cli({"submit", "add", "1", "1", "--queue", "later"}).status, 0);
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

TEST_F(CliTest, EachArgumentIsOneJsonValueArraysAndObjectsIncluded) {
    start_worker();
    auto r = cluster_.cli({"submit", "add_all", "[1,2,3]", "--wait"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "6\n");
    r = cluster_.cli({"submit", "add_all", "[]", "--wait"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "0\n");
    r = cluster_.cli({"submit", "add_all", "[ 40, 2 ]", "--wait", "--json"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["result"], 42) << r.out;
    // Two arguments, each one value, whatever brackets and commas are inside.
    r = cluster_.cli({"submit", "add_all", "[1,2]", "[]", "--wait", "--json"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "takes 1 argument(s), got 2")) << r.out;
    // What the worker got shows what the CLI sent: an object, and nested arrays, whole.
    r = cluster_.cli({"submit", "add_all", "{\"a\":[1,2],\"b\":{}}", "--wait", "--json"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "expected array of int, got map")) << r.out;
    r = cluster_.cli({"submit", "add_all", "[[1,2],[]]", "--wait", "--json"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "expected array of int, got array of array")) << r.out;
    // A negative number is a value, and a repeatable option takes one value per use.
    r = cluster_.cli({"submit", "add", "-2", "[]", "--wait", "--json"});
    EXPECT_TRUE(contains(r.out, "argument 2 of 'add': expected int, got empty array")) << r.out;
    r = cluster_.cli({"submit", "add", "--retry-on", "ValueError", "-2", "5", "--wait"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "3\n");
    // An unknown option is still a usage error, not an argument.
    r = cli_both({"submit", "add", "1", "2", "--bogus"});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(contains(r.out, "--bogus")) << r.out;
}

TEST_F(CliTest, AWrongArgumentTypeSaysWhichArgumentWhatWasExpectedAndWhatCame) {
    start_worker();
    const auto r = cluster_.cli({"submit", "add", "2", "\"three\"", "--wait", "--json"});
    EXPECT_EQ(r.status, 1);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["error"]["type"], "shoal::argument_error") << r.out;
    EXPECT_EQ(doc["error"]["message"], "argument 2 of 'add': expected int, got string") << r.out;
}

TEST_F(CliTest, RevokeOfAPendingTaskSaysRevokedAndResultSaysItOnce) {
    const std::string id = submit_pending({"submit", "add", "1", "1"});
    auto r = cluster_.cli({"revoke", id});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "revoked " + id + " (now revoked)\n");
    r = cli_both({"result", id});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out,
              "done: revoked: revoked by a client (on broker)\n");  // "revoked" said once as a type
    // Revoking it again changes nothing and says so the same way.
    r = cluster_.cli({"revoke", id, "--json"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "revoked") << r.out;
}

TEST_F(CliTest, RevokeOfAnUnknownOrFinishedTaskFails) {
    auto r = cli_both({"revoke", std::string(32, 'a')});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "no record of task")) << r.out;
    start_worker();
    r = cluster_.cli({"submit", "add", "1", "1", "--wait", "--json"});
    ASSERT_EQ(r.status, 0) << r.out;
    const std::string id = nlohmann::json::parse(r.out)["id"];
    r = cli_both({"revoke", id});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(contains(r.out, "already finished")) << r.out;
}

TEST_F(CliTest, WaitingForAResultHasNoLimitUnlessOneIsAsked) {
    start_worker();
    // --timeout bounds reaching the broker, not the task: a 2 s task outlives a 1 s timeout.
    auto r = cluster_.cli({"submit", "sleep", "2", "--wait", "--timeout", "1"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "2\n");
    r = cluster_.cli({"submit", "sleep", "30", "--wait", "--wait-timeout", "0.5", "--json"});
    EXPECT_EQ(r.status, 4) << r.out;
    const std::string id = nlohmann::json::parse(r.out)["id"];
    r = cluster_.cli({"result", id, "--wait", "--wait-timeout", "0.5"});
    EXPECT_EQ(r.status, 4) << r.out;
}

TEST_F(CliTest, BadOptionValuesAreShortUsageErrors) {
    // A malformed endpoint is a usage error at once, not a wait for an unreachable broker.
    shoal::testing::child_process p = shoal::testing::child_process::spawn(
        {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", shoal::testing::cluster_paths::cli(), "status",
         "--broker", "localhost5555", "--timeout", "3"});
    const std::string out = p.read_all(20.0);
    EXPECT_EQ(p.wait(20.0), 2) << out;
    EXPECT_TRUE(contains(out, "localhost5555")) << out;
    // A negative countdown: said in a line, not with DBL_MAX in 300 digits.
    const auto r = cli_both({"submit", "add", "1", "1", "--countdown", "-1"});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_LT(r.out.size(), 200u) << r.out;
    EXPECT_TRUE(contains(r.out, "--countdown")) << r.out;
}

TEST_F(CliTest, AnUnreachableBrokerIsExitThree) {
    shoal::testing::child_process p =
        shoal::testing::child_process::spawn({shoal::testing::cluster_paths::cli(), "status",
                                              "--broker", "tcp://127.0.0.1:1", "--timeout", "0.5"});
    EXPECT_EQ(p.wait(20.0), 3);
}

}  // namespace
