// Periodic tasks with real daemons (broker/README.md, "Periodic tasks"): a config file's
// [periodic.NAME] table runs on its schedule, a client adds one with add_periodic and watches
// its runs, the CLI adds, lists, pauses and removes them and shows them in `inspect
// scheduled`, and a bad table stops the broker at start with a message naming it.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;
namespace ex = shoal_examples;

std::string temp_file(const std::string& name, const std::string& text) {
    const std::string path =
        ::testing::TempDir() + "shoal_periodic_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path) << text;
    return path;
}

std::size_t lines_in(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

// The runs of periodic task `name` as the broker counts them, or -1 if it has none.
long runs_of(shoal::client& c, const std::string& name) {
    for (const auto& row : c.list_periodic().result(20.0).rows) {
        if (field(row, "periodic") == name) return std::stol(field(row, "runs"));
    }
    return -1;
}

TEST(Periodic, AConfigTableRunsOnItsScheduleWithItsArguments) {
    const std::string journal = temp_file("config_journal", "");
    const std::string config = temp_file("config.toml",
                                         "[periodic.beat]\n"
                                         "task = \"journal_sum\"\n"
                                         "args = [[20, 22], \"" +
                                             journal +
                                             "\"]\n"
                                             "every = \"300ms\"\n");
    local_cluster cluster({"--config", config, "--log-level", "warn"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1", {"--log-level", "warn"});
    ASSERT_TRUE(wait_until([&] { return lines_in(journal) >= 3; }, 60.0));
    std::ifstream in(journal);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "42");
    std::remove(journal.c_str());
    std::remove(config.c_str());
}

TEST(Periodic, AClientAddsOneFromASignatureAndRemovesIt) {
    local_cluster cluster({"--log-level", "warn"});
    cluster.add_worker("w1", {"--log-level", "warn"});
    shoal::client c(cluster.endpoint());
    ASSERT_TRUE(c.wait_connected(20.0));
    const auto added = c.add_periodic("sum", "every 200ms", ex::add.s(2, 3)).result(20.0);
    ASSERT_EQ(added.rows.size(), 1u);
    EXPECT_EQ(field(added.rows[0], "name"), "add");
    EXPECT_EQ(field(added.rows[0], "schedule"), "every 200ms");
    ASSERT_TRUE(wait_until([&] { return runs_of(c, "sum") >= 3; }, 60.0));
    EXPECT_GE(std::stol(field(c.inspect("stats").result(20.0).rows.at(0), "completed")), 1);
    // A bad schedule is a broker_error that names what is wrong.
    try {
        (void)c.add_periodic("bad", "every now", ex::add.s(1, 1)).result(20.0);
        ADD_FAILURE() << "a bad schedule was accepted";
    } catch (const shoal::broker_error& e) {
        EXPECT_NE(std::string(e.what()).find("every now"), std::string::npos) << e.what();
    }
    (void)c.remove_periodic("sum").result(20.0);
    EXPECT_EQ(runs_of(c, "sum"), -1);
}

TEST(Periodic, TheCliAddsListsPausesAndRemovesThemAndInspectShowsWhenTheyRun) {
    local_cluster cluster({"--log-level", "warn"});
    cluster.add_worker("w1", {"--log-level", "warn"});
    const auto add = cluster.cli({"periodic", "add", "nightly", "--cron", "0 2 * * *", "--zone",
                                  "Europe/Paris", "add", "1", "2"});
    EXPECT_EQ(add.status, 0) << add.out;
    EXPECT_NE(add.out.find("periodic=nightly"), std::string::npos) << add.out;
    EXPECT_NE(add.out.find("schedule=cron 0 2 * * *"), std::string::npos) << add.out;
    const auto list = cluster.cli({"periodic", "list", "--json"});
    EXPECT_EQ(list.status, 0);
    EXPECT_NE(list.out.find("\"zone\":\"Europe/Paris\""), std::string::npos) << list.out;
    const auto scheduled = cluster.cli({"inspect", "scheduled"});
    EXPECT_EQ(scheduled.status, 0);
    EXPECT_NE(scheduled.out.find("next_unix_ms="), std::string::npos) << scheduled.out;
    const auto pause = cluster.cli({"periodic", "pause", "nightly"});
    EXPECT_NE(pause.out.find("paused=1"), std::string::npos) << pause.out;
    const auto bad = cluster.cli({"periodic", "add", "x", "--every", "1 fortnight", "add"});
    EXPECT_NE(bad.status, 0);
    const auto neither = cluster.cli({"periodic", "add", "x", "add", "1"});
    EXPECT_NE(neither.status, 0);
    EXPECT_EQ(cluster.cli({"periodic", "remove", "nightly"}).status, 0);
    const auto gone = cluster.cli({"periodic", "remove", "nightly"});
    EXPECT_NE(gone.status, 0);
    EXPECT_NE(cluster.cli({"periodic", "list"}).out.find("(no periodic tasks)"), std::string::npos);
}

TEST(Periodic, ABadTableStopsTheBrokerAtStartNamingIt) {
    const std::string config = temp_file("bad.toml",
                                         "[periodic.report]\n"
                                         "task = \"add\"\n"
                                         "cron = \"0 2 * * *\"\n"
                                         "zone = \"Mars/Olympus\"\n");
    const auto r = shoal::testing::broker_refusal({"--config", config});
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find("periodic.report"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Mars/Olympus"), std::string::npos) << r.out;
    std::remove(config.c_str());
}

}  // namespace
