#include "shoal/broker/config_loader.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config_helpers.hpp"
#include "task_routes.hpp"

namespace {

using namespace shoal::broker;
using shoal::testing::env_of;
const auto error_of = shoal::testing::config_error_of;

daemon_options load(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<const char*> argv{"shoal-broker"};
    for (const auto& a : args) argv.push_back(a.c_str());
    return load_daemon_options(static_cast<int>(argv.size()), argv.data(), env_of(std::move(env)));
}

class ConfigFile : public ::testing::Test {
  protected:
    std::string write(const std::string& text) {
        path_ = ::testing::TempDir() + "shoal_broker_config_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter_++) + ".toml";
        std::ofstream(path_) << text;
        files_.push_back(path_);
        return path_;
    }
    void TearDown() override {
        for (const auto& f : files_) std::remove(f.c_str());
    }

  private:
    std::string path_;
    std::vector<std::string> files_;
    int counter_ = 0;
};

TEST(ConfigLoader, WithoutAnySourceEveryOptionHasItsDefault) {
    const auto o = load({});
    const broker_config defaults;
    EXPECT_EQ(o.config.bind, "tcp://127.0.0.1:5555");
    EXPECT_EQ(o.config.heartbeat_ms, 1000u);
    EXPECT_EQ(o.config.liveness, 3u);
    EXPECT_EQ(o.config.result_ttl_s, 3600u);
    EXPECT_EQ(o.config.log_level, "info");
    EXPECT_EQ(o.config.max_batch, defaults.max_batch);
    EXPECT_FALSE(o.print_endpoint);
    EXPECT_TRUE(o.config_file.empty());
    EXPECT_FALSE(o.help.has_value());
}

TEST_F(ConfigFile, CommandLineBeatsEnvironmentBeatsFileBeatsDefaults) {
    const std::string file = write(
        "heartbeat_ms = 200\n"
        "liveness = 7\n"
        "result_ttl_s = 60\n"
        "log_level = \"debug\"\n");
    // File only.
    auto o = load({"--config", file});
    EXPECT_EQ(o.config.heartbeat_ms, 200u);
    EXPECT_EQ(o.config.liveness, 7u);
    EXPECT_EQ(o.config.log_level, "debug");
    EXPECT_EQ(o.config_file, file);
    // The environment beats the file, for the settings it names only.
    o = load({"--config", file}, {{"SHOAL_HEARTBEAT_MS", "300"}, {"SHOAL_LOG_LEVEL", "warn"}});
    EXPECT_EQ(o.config.heartbeat_ms, 300u);
    EXPECT_EQ(o.config.log_level, "warn");
    EXPECT_EQ(o.config.liveness, 7u);
    EXPECT_EQ(o.config.result_ttl_s, 60u);
    // The command line beats both.
    o = load({"--config", file, "--heartbeat-ms", "400", "--bind", "tcp://127.0.0.1:0"},
             {{"SHOAL_HEARTBEAT_MS", "300"}, {"SHOAL_BIND", "tcp://127.0.0.1:7000"}});
    EXPECT_EQ(o.config.heartbeat_ms, 400u);
    EXPECT_EQ(o.config.bind, "tcp://127.0.0.1:0");
    EXPECT_EQ(o.config.liveness, 7u);
    EXPECT_EQ(o.config.log_level, "debug");
}

TEST_F(ConfigFile, ShoalConfigNamesTheFileAndConfigFlagOverridesIt) {
    const std::string a = write("liveness = 4\n");
    const std::string b = write("liveness = 5\n");
    EXPECT_EQ(load({}, {{"SHOAL_CONFIG", a}}).config.liveness, 4u);
    EXPECT_EQ(load({"--config", b}, {{"SHOAL_CONFIG", a}}).config.liveness, 5u);
}

TEST_F(ConfigFile, UnknownKeyIsAnError) {
    const std::string file = write("heartbeat_ms = 100\nheartbeat = 5\n");
    const std::string why = error_of([&] { load({"--config", file}); });
    EXPECT_NE(why.find("unknown key 'heartbeat'"), std::string::npos) << why;
    EXPECT_NE(why.find(file), std::string::npos) << why;
}

TEST_F(ConfigFile, WrongTypeOrRangeIsAnError) {
    EXPECT_NE(error_of([&] {
                  load({"--config", write("liveness = \"3\"\n")});
              }).find("liveness: must be an integer"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("bind = 5555\n")});
              }).find("bind: must be a string"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("liveness = -1\n")});
              }).find("must not be negative"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("max_batch = 20000\n")});
              }).find("between 1 and 10000"),
              std::string::npos);
    // A bound of UINT64_MAX is said as it is (it was "between 1048576 and 0", from a cast the
    // fuzzer's UBSan build reported as undefined).
    EXPECT_NE(error_of([&] {
                  load({"--config", write("max_queued_bytes = 2000\n")});
              }).find("between 1048576 and 18446744073709551615 (got 2000)"),
              std::string::npos);
}

TEST_F(ConfigFile, SyntaxErrorAndMissingFileAreErrors) {
    const std::string bad = write("liveness = = 3\n");
    EXPECT_NE(error_of([&] { load({"--config", bad}); }).find("line 1"), std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", "/nonexistent/shoal.toml"});
              }).find("cannot open"),
              std::string::npos);
}

TEST(ConfigLoader, BadEnvironmentValueNamesTheVariable) {
    const std::string why = error_of([] { load({}, {{"SHOAL_LIVENESS", "three"}}); });
    EXPECT_NE(why.find("SHOAL_LIVENESS"), std::string::npos) << why;
    EXPECT_NE(why.find("whole number"), std::string::npos) << why;
    EXPECT_NE(error_of([] {
                  load({}, {{"SHOAL_HEARTBEAT_MS", "5"}});
              }).find("between 10"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  load({}, {{"SHOAL_LOG_LEVEL", "loud"}});
              }).find("one of"),
              std::string::npos);
}

TEST(ConfigLoader, BadCommandLineIsAnError) {
    EXPECT_NE(error_of([] { load({"--no-such-flag"}); }).find("command line"), std::string::npos);
    EXPECT_NE(error_of([] { load({"--liveness", "-3"}); }).find("--liveness"), std::string::npos);
    EXPECT_NE(error_of([] {
                  load({"--bind", "localhost:5555"});
              }).find("ZeroMQ endpoint"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  load({"--max-batch", "12abc"});
              }).find("whole number"),
              std::string::npos);
}

TEST(ConfigLoader, TheRedisPasswordComesFromAFileOrTheEnvironmentNeverAFlag) {
    const daemon_options o =
        load({"--redis-user", "shoal", "--redis-password-file", "/etc/shoal/redis.password"},
             {{"SHOAL_REDIS_PASSWORD", "from-env"}});
    EXPECT_EQ(o.config.redis_user, "shoal");
    EXPECT_EQ(o.config.redis_password_file, "/etc/shoal/redis.password");
    EXPECT_EQ(o.config.redis_password, "from-env");
    EXPECT_NE(error_of([] {
                  load({"--redis-password", "pw"});
              }).find("command line"),
              std::string::npos);
}

TEST(ConfigLoader, PrintEndpointIsAFlagAndHelpNamesFlagsAndEnvironmentVariables) {
    EXPECT_TRUE(load({"--print-endpoint"}).print_endpoint);
    const auto help = load({"--help"});
    ASSERT_TRUE(help.help.has_value());
    EXPECT_NE(help.help->find("--heartbeat-ms"), std::string::npos);
    EXPECT_NE(help.help->find("SHOAL_HEARTBEAT_MS"), std::string::npos);
}

TEST_F(ConfigFile, TheRouteTableComesFromAnyOfTheSourcesAndAsATableInTheFile) {
    EXPECT_EQ(load({"--task-routes", "train=gpu"}).config.task_routes, "train=gpu");
    EXPECT_EQ(load({}, {{"SHOAL_TASK_ROUTES", "train=gpu,resize=images"}}).config.task_routes,
              "train=gpu,resize=images");
    EXPECT_EQ(load({"--config", write("task_routes = \"train=gpu\"\n")}).config.task_routes,
              "train=gpu");
    // A table, as the file's last section (TOML puts the keys after a header in its table).
    const auto table = load({"--config", write("liveness = 4\n[task_routes]\ntrain = \"gpu\"\n"
                                               "\"images.resize\" = \"images\"\n")});
    EXPECT_EQ(table.config.liveness, 4u);
    task_routes routes(table.config.task_routes);
    EXPECT_EQ(routes.size(), 2u);
    EXPECT_EQ(routes.queue_for("train", "default"), "gpu");
    EXPECT_EQ(routes.queue_for("images.resize", "default"), "images");
}

TEST_F(ConfigFile, ABadRouteIsAnErrorNamingIt) {
    EXPECT_NE(error_of([] {
                  load({"--task-routes", "train"});
              }).find("task route 'train': no '='"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  load({"--task-routes", "=gpu"});
              }).find("task name"),
              std::string::npos);
    EXPECT_NE(error_of([] { load({"--task-routes", "train="}); }).find("queue"), std::string::npos);
    EXPECT_NE(error_of([] {
                  load({}, {{"SHOAL_TASK_ROUTES", "a=gpu,a=cpu"}});
              }).find("routed twice"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("[task_routes]\ntrain = 3\n")});
              }).find("task_routes.train: must be a string"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("[task_routes]\n\"a,b\" = \"gpu\"\n")});
              }).find("must not hold"),
              std::string::npos);
}

TEST(TaskRoutes, AQueueNamedInTheSubmitWinsOverTheTableWhichWinsOverDefault) {
    const task_routes routes(" train = gpu ,, resize=images ");
    EXPECT_EQ(routes.size(), 2u);
    EXPECT_EQ(routes.queue_for("train", "default"), "gpu");      // no queue named: the table
    EXPECT_EQ(routes.queue_for("train", "special"), "special");  // named: it wins
    EXPECT_EQ(routes.queue_for("add", "default"), "default");    // not in the table
    EXPECT_EQ(task_routes("").size(), 0u);
}

TEST(ConfigLoader, ApplyTomlSetsTheKeysItsTextGives) {
    broker_config c;
    apply_toml(c, "bind = \"ipc:///tmp/shoal.sock\"\nmax_results = 10\n", "inline");
    EXPECT_EQ(c.bind, "ipc:///tmp/shoal.sock");
    EXPECT_EQ(c.max_results, 10u);
}

}  // namespace

namespace {

TEST_F(ConfigFile, PeriodicTablesBecomeDefinitionsWithTheirArgumentsAsMsgpack) {
    const auto loaded = load({"--config", write("liveness = 4\n"
                                                "[periodic.tick]\n"
                                                "task = \"add\"\n"
                                                "args = [1, 2]\n"
                                                "every = \"10s\"\n"
                                                "[periodic.nightly]\n"
                                                "task = \"report\"\n"
                                                "args = [[1, 2], \"x\", {k = true}, 1.5]\n"
                                                "cron = \"0 2 * * *\"\n"
                                                "zone = \"Europe/Paris\"\n"
                                                "missed = \"skip\"\n"
                                                "queue = \"reports\"\n")});
    EXPECT_EQ(loaded.config.liveness, 4u);
    // By name, as toml++ keeps a table's keys.
    ASSERT_EQ(loaded.config.periodic.size(), 2u);
    const periodic_definition& tick = loaded.config.periodic[1];
    EXPECT_EQ(tick.name, "tick");
    EXPECT_EQ(tick.task, "add");
    EXPECT_EQ(tick.schedule, "every 10s");
    EXPECT_EQ(tick.zone, "UTC");
    EXPECT_EQ(tick.missed, "run_once");
    EXPECT_EQ(tick.queue, "");
    EXPECT_EQ(tick.args, std::string("\x92\x01\x02"));
    const periodic_definition& nightly = loaded.config.periodic[0];
    EXPECT_EQ(nightly.schedule, "cron 0 2 * * *");
    EXPECT_EQ(nightly.zone, "Europe/Paris");
    EXPECT_EQ(nightly.missed, "skip");
    EXPECT_EQ(nightly.queue, "reports");
    // [[1, 2], "x", {k = true}, 1.5]
    EXPECT_EQ(nightly.args,
              std::string("\x94\x92\x01\x02\xa1x\x81\xa1k\xc3\xcb\x3f\xf8\0\0\0\0\0\0", 19));
    EXPECT_NE(loaded.effective.find("[periodic.nightly]: report cron 0 2 * * *"), std::string::npos)
        << loaded.effective;
}

TEST_F(ConfigFile, ABadPeriodicTableIsAnErrorNamingTheTableAndWhatIsWrong) {
    const auto why = [&](const std::string& body) {
        return error_of([&] { load({"--config", write("[periodic.p]\n" + body)}); });
    };
    EXPECT_NE(why("task = \"add\"\n").find("periodic.p: give one of every"), std::string::npos);
    EXPECT_NE(why("task = \"add\"\nevery = \"1s\"\ncron = \"* * * * *\"\n").find("one of every"),
              std::string::npos);
    EXPECT_NE(why("every = \"1s\"\n").find("periodic.p: task: required"), std::string::npos);
    EXPECT_NE(why("task = \"add\"\nevery = \"1 parsec\"\n").find("periodic.p: schedule"),
              std::string::npos);
    EXPECT_NE(why("task = \"add\"\ncron = \"0 25 * * *\"\n").find("periodic.p: cron field"),
              std::string::npos);
    EXPECT_NE(
        why("task = \"add\"\ncron = \"0 2 * * *\"\nzone = \"Mars/Olympus\"\n").find("Mars/Olympus"),
        std::string::npos);
    EXPECT_NE(why("task = \"add\"\nevery = \"1s\"\nmissed = \"twice\"\n").find("twice"),
              std::string::npos);
    EXPECT_NE(why("task = \"add\"\nevery = \"1s\"\nargs = 3\n")
                  .find("periodic.p.args: must be an "
                        "array"),
              std::string::npos);
    EXPECT_NE(why("task = \"add\"\nevery = \"1s\"\nwhen = \"now\"\n").find("unknown key 'when'"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  load({"--config", write("periodic = 3\n")});
              }).find("unknown key 'periodic'"),
              std::string::npos);
}

}  // namespace
