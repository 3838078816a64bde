// --log-format json on the daemons: every line a JSON object (time, level, logger, msg), and
// the worker's task lines (received, succeeded in T, failed: error) carry the task id, name
// and worker as fields, at most --task-log-rate a second.
#include <csignal>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

// The program's stderr as its output (stdout dropped), so that only log lines are read.
child_process spawn_logs_only(const std::vector<std::string>& argv) {
    std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1 >/dev/null"};
    shell.insert(shell.end(), argv.begin(), argv.end());
    return child_process::spawn(shell);
}

// Each line as JSON; a line that is not a JSON object fails the test.
std::vector<nlohmann::json> parse_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        const std::string line = text.substr(at, end == std::string::npos ? end : end - at);
        at = end == std::string::npos ? text.size() : end + 1;
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
        if (!j.is_object()) continue;
        EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
        lines.push_back(j);
    }
    return lines;
}

TEST(JsonLogs, TheBrokersLinesAreJsonObjects) {
    // Logs and stdout together: the endpoint line (stdout) says it serves, signals handled.
    auto broker = child_process::spawn(
        {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", cluster_paths::broker(), "--bind",
         "tcp://127.0.0.1:0", "--print-endpoint", "--log-format", "json", "--log-level", "debug"});
    std::string logs;
    bool serving = false;
    for (int i = 0; i < 100 && !serving; ++i) {
        const auto line = broker.read_line(30.0);
        if (!line) break;
        if (line->rfind("tcp://", 0) == 0) {
            serving = true;
        } else {
            logs += *line + "\n";
        }
    }
    ASSERT_TRUE(serving) << logs;
    // Then it stops on SIGTERM and says so.
    broker.signal(SIGTERM);
    const std::string rest = broker.read_all(30.0);
    EXPECT_EQ(broker.wait(30.0), 0);
    const auto lines = parse_lines(logs + rest);
    ASSERT_GE(lines.size(), 2u) << rest;
    for (const auto& j : lines) EXPECT_EQ(j.value("logger", ""), "shoal-broker") << j.dump();
}

TEST(JsonLogs, TheWorkersTaskLinesCarryTheTaskIdNameAndWorker) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    auto worker = spawn_logs_only({cluster_paths::worker(), "--broker", cluster.endpoint(),
                                   "--tasks", cluster_paths::seed_tasks(), "--name", "w-json",
                                   "--threads", "1", "--processes", "1", "--log-format", "json"});
    shoal::client client(cluster.endpoint());
    auto sum = client.submit(shoal_examples::add, 20, 22);
    EXPECT_EQ(sum.get(60.0), 42);
    auto boom = client.submit(shoal_examples::fail, std::string("boom"));
    EXPECT_ANY_THROW(boom.get(60.0));
    worker.signal(SIGTERM);
    const std::string out = worker.read_all(60.0);
    EXPECT_EQ(worker.wait(60.0), 0);
    const auto lines = parse_lines(out);
    auto find = [&](const std::string& id, const std::string& words) -> const nlohmann::json* {
        for (const auto& j : lines) {
            if (j.value("task_id", "") == id && j.value("msg", "").find(words) != std::string::npos)
                return &j;
        }
        return nullptr;
    };
    const std::string sum_id = sum.id().to_hex();
    const auto* received = find(sum_id, "received");
    ASSERT_NE(received, nullptr) << out;
    EXPECT_EQ(received->value("task", ""), "add");
    EXPECT_EQ(received->value("worker", ""), "w-json");
    EXPECT_EQ(received->value("level", ""), "info");
    const auto* succeeded = find(sum_id, "succeeded in ");
    ASSERT_NE(succeeded, nullptr) << out;
    EXPECT_EQ(succeeded->value("task", ""), "add");
    const auto* failed = find(boom.id().to_hex(), "failed in ");
    ASSERT_NE(failed, nullptr) << out;
    EXPECT_NE(failed->value("msg", "").find("boom"), std::string::npos) << failed->dump();
    EXPECT_EQ(failed->value("worker", ""), "w-json");
}

TEST(JsonLogs, TaskLinesAreRateLimitedAndSayHowManyWereLeftOut) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    auto worker = spawn_logs_only({cluster_paths::worker(), "--broker", cluster.endpoint(),
                                   "--tasks", cluster_paths::seed_tasks(), "--name", "w-rate",
                                   "--threads", "1", "--processes", "1", "--task-log-rate", "2"});
    shoal::client client(cluster.endpoint());
    std::vector<std::tuple<long, long>> pairs(300, {1, 2});
    const auto sums = client.map(shoal_examples::add, pairs, 120.0);
    EXPECT_EQ(sums.size(), 300u);
    worker.signal(SIGTERM);
    const std::string out = worker.read_all(60.0);
    EXPECT_EQ(worker.wait(60.0), 0);
    std::size_t task_lines = 0;
    std::size_t at = 0;
    while ((at = out.find("task add[", at)) != std::string::npos) {
        ++task_lines;
        ++at;
    }
    // 600 possible lines (received and succeeded), two a second: far fewer, unless these 300
    // tasks took minutes.
    EXPECT_GE(task_lines, 1u) << out;
    EXPECT_LT(task_lines, 600u) << out;
    EXPECT_NE(out.find("task lines left out in the last second"), std::string::npos) << out;
}

}  // namespace
