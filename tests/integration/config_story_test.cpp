// One configuration story for every program (issue 15, items 3 and 4), with the built
// binaries: flags > SHOAL_* environment > a TOML file > defaults, `--print-config` showing
// each setting's origin, `--check-config` refusing a bad value by name, `--version` on each,
// and the worker's version in `shoal inspect workers`.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "shoal/common/version.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::testing::cluster_paths;
using shoal::testing::local_cluster;
using shoal::testing::run_merged;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Runs `program args...` with exactly `env` as its environment (nothing inherited, so a
// SHOAL_* variable of the machine running the tests cannot change the answer).
local_cluster::cli_result run_with_env(const std::vector<std::string>& env,
                                       const std::string& program,
                                       const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/env", "-i"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(program);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_merged(argv, 30.0);
}

class ConfigStory : public ::testing::Test {
  protected:
    std::string write(const std::string& name, const std::string& text) {
        const fs::path p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("shoal_config_story_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
};

TEST_F(ConfigStory, AWorkerShowsEachSettingFromTheSourceThatWins) {
    const std::string file = write("worker.toml",
                                   "threads = 3\n"
                                   "prefetch = 1\n"
                                   "queues = [\"images\", \"io\"]\n"
                                   "grace = 5\n");
    const auto r = run_with_env(
        {"SHOAL_THREADS=4", "SHOAL_PREFETCH=7", "SHOAL_BROKER=tcp://10.1.2.3:5555"},
        cluster_paths::worker(), {"--config", file, "--threads", "5", "--print-config"});
    ASSERT_EQ(r.status, 0) << r.out;
    // The flag beats the variable, which beats the file, which beats the default.
    EXPECT_TRUE(contains(r.out, "threads = 5  # option --threads\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "prefetch = 7  # environment variable SHOAL_PREFETCH\n")) << r.out;
    EXPECT_TRUE(
        contains(r.out, "broker = \"tcp://10.1.2.3:5555\"  # environment variable SHOAL_BROKER\n"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "queues = \"images,io\"  # " + file + ": queues\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "grace = 5  # " + file + ": grace\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "slow_loop = 0.5  # default\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "log_level = \"info\"  # default\n")) << r.out;
}

TEST_F(ConfigStory, WhatPrintConfigPrintsIsAConfigFileThatGivesTheSameSettings) {
    const auto first = run_with_env({"SHOAL_PREFETCH=2"}, cluster_paths::worker(),
                                    {"--queues", "a,b", "--grace", "1.5", "--print-config"});
    ASSERT_EQ(first.status, 0) << first.out;
    const std::string file = write("again.toml", first.out);
    const auto second =
        run_with_env({}, cluster_paths::worker(), {"--config", file, "--print-config"});
    ASSERT_EQ(second.status, 0) << second.out;
    // Computed defaults are comments, so the file gives exactly what was given.
    EXPECT_TRUE(contains(second.out, "# threads: the CPU count (default)\n")) << second.out;
    for (const std::string line : {"prefetch = 2", "queues = \"a,b\"", "grace = 1.5"}) {
        EXPECT_TRUE(contains(second.out, line + "  # " + file)) << second.out;
    }
}

TEST_F(ConfigStory, CheckConfigNamesTheBadSettingAndItsSourceAndExits2) {
    const std::string file = write("bad.toml", "tasks = [\"/opt/a.so\"]\nthreads = 0\n");
    const auto from_file =
        run_with_env({}, cluster_paths::worker(), {"--config", file, "--check-config"});
    EXPECT_EQ(from_file.status, 2) << from_file.out;
    EXPECT_TRUE(contains(from_file.out, file + ": threads")) << from_file.out;
    const auto from_env = run_with_env({"SHOAL_TASKS=/opt/a.so", "SHOAL_GRACE=soon"},
                                       cluster_paths::worker(), {"--check-config"});
    EXPECT_EQ(from_env.status, 2) << from_env.out;
    EXPECT_TRUE(contains(from_env.out, "SHOAL_GRACE")) << from_env.out;
    const auto unknown =
        run_with_env({}, cluster_paths::worker(),
                     {"--config", write("typo.toml", "thread = 2\n"), "--check-config"});
    EXPECT_EQ(unknown.status, 2) << unknown.out;
    EXPECT_TRUE(contains(unknown.out, "unknown key 'thread'")) << unknown.out;
    const auto broker =
        run_with_env({"SHOAL_LIVENESS=0"}, cluster_paths::broker(), {"--check-config"});
    EXPECT_EQ(broker.status, 2) << broker.out;
    EXPECT_TRUE(contains(broker.out, "SHOAL_LIVENESS")) << broker.out;
    const auto cli = run_with_env({"SHOAL_TIMEOUT=-1"}, cluster_paths::cli(), {"--check-config"});
    EXPECT_EQ(cli.status, 2) << cli.out;
    EXPECT_TRUE(contains(cli.out, "SHOAL_TIMEOUT")) << cli.out;
    // Settings that only work together, and the worker's one required setting.
    const auto half_keys = run_with_env({"SHOAL_SECRET_KEY=/etc/shoal/broker.key_secret"},
                                        cluster_paths::broker(), {"--check-config"});
    EXPECT_EQ(half_keys.status, 2) << half_keys.out;
    EXPECT_TRUE(contains(half_keys.out, "keys_dir")) << half_keys.out;
    const auto worker_half_keys = run_with_env({"SHOAL_TASKS=/opt/x.so", "SHOAL_KEY=/k"},
                                               cluster_paths::worker(), {"--check-config"});
    EXPECT_EQ(worker_half_keys.status, 2) << worker_half_keys.out;
    EXPECT_TRUE(contains(worker_half_keys.out, "broker_key")) << worker_half_keys.out;
    const auto no_tasks = run_with_env({}, cluster_paths::worker(), {"--check-config"});
    EXPECT_EQ(no_tasks.status, 2) << no_tasks.out;
    EXPECT_TRUE(contains(no_tasks.out, "no task library")) << no_tasks.out;
    // And a good configuration passes, for each program (libraries are opened at start).
    EXPECT_EQ(run_with_env({"SHOAL_TASKS=/opt/a.so,/opt/b.so"}, cluster_paths::worker(),
                           {"--check-config"})
                  .status,
              0);
    EXPECT_EQ(run_with_env({}, cluster_paths::broker(), {"--check-config"}).status, 0);
    EXPECT_EQ(run_with_env({}, cluster_paths::cli(), {"--check-config"}).status, 0);
}

TEST_F(ConfigStory, TheBrokerAndTheCliPrintTheirSettingsWithTheirOrigins) {
    const std::string file = write("broker.toml", "liveness = 7\n[task_routes]\ntrain = \"gpu\"\n");
    const auto broker = run_with_env({"SHOAL_HEARTBEAT_MS=250"}, cluster_paths::broker(),
                                     {"--config", file, "--print-config"});
    ASSERT_EQ(broker.status, 0) << broker.out;
    EXPECT_TRUE(contains(broker.out, "liveness = 7  # " + file + ": liveness\n")) << broker.out;
    EXPECT_TRUE(contains(broker.out, "task_routes = \"train=gpu\"  # " + file)) << broker.out;
    EXPECT_TRUE(
        contains(broker.out, "heartbeat_ms = 250  # environment variable SHOAL_HEARTBEAT_MS\n"))
        << broker.out;
    EXPECT_TRUE(contains(broker.out, "bind = \"tcp://127.0.0.1:5555\"  # default\n")) << broker.out;
    const std::string cli_file =
        write("cli.toml", "broker = \"tcp://10.0.0.9:6000\"\ntimeout = 2.5\n");
    const auto cli = run_with_env({"SHOAL_CLI_CONFIG=" + cli_file}, cluster_paths::cli(),
                                  {"--timeout", "1", "--print-config"});
    ASSERT_EQ(cli.status, 0) << cli.out;
    EXPECT_TRUE(contains(cli.out, "broker = \"tcp://10.0.0.9:6000\"  # " + cli_file)) << cli.out;
    EXPECT_TRUE(contains(cli.out, "timeout = 1  # option --timeout\n")) << cli.out;
}

TEST(Versions, EveryBinaryPrintsItsVersion) {
    const std::string version(shoal::version);
    for (const auto& [program, name] :
         std::vector<std::pair<std::string, std::string>>{{cluster_paths::broker(), "shoal-broker"},
                                                          {cluster_paths::worker(), "shoal-worker"},
                                                          {cluster_paths::cli(), "shoal"}}) {
        const auto r = run_merged({program, "--version"});
        EXPECT_EQ(r.status, 0) << name << ": " << r.out;
        EXPECT_EQ(r.out, name + " " + version + "\n");
    }
}

TEST(Versions, AWorkersVersionIsInInspectWorkers) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w-versioned", {"--threads", "1", "--processes", "1"});
    nlohmann::json rows;
    ASSERT_TRUE(shoal::testing::wait_until(
        [&] {
            const auto r = cluster.cli({"inspect", "workers", "--json"});
            if (r.status != 0) return false;
            const auto doc = nlohmann::json::parse(r.out, nullptr, false);
            if (doc.is_discarded() || doc["rows"].empty()) return false;
            rows = doc["rows"];
            return true;
        },
        30.0));
    EXPECT_EQ(rows[0]["name"], "w-versioned");
    EXPECT_EQ(rows[0]["version"], "shoal/" + std::string(shoal::version));
}

}  // namespace
