// The broker's event stream (PROTOCOL.md 6.4) against real daemons: a subscriber sees, per
// task id, exactly the sequence of Celery-named events its story makes (a success, a failure
// retried once, a revoke, a name nobody offers, a task that kills its process until it is
// dead-lettered, a task whose worker is killed mid-run), and the workers come and go; the CLI
// (`shoal events`) shows the same stream; a broker with keys tells it to admin keys only.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::wait_until;

// Every event a subscribing client received, in order.
class event_log {
  public:
    void add(const shoal::event_batch& batch) {
        std::lock_guard lock(mutex_);
        dropped_ = batch.dropped;
        for (const auto& e : batch.events) events_.push_back(e);
    }
    std::vector<shoal::cluster_event> all() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }
    // The task events of one id, in order.
    std::vector<shoal::cluster_event> of(const std::string& id) const {
        std::vector<shoal::cluster_event> out;
        for (const auto& e : all()) {
            if (e.text("uuid") == id) out.push_back(e);
        }
        return out;
    }
    std::vector<std::string> types_of(const std::string& id) const {
        std::vector<std::string> out;
        for (const auto& e : of(id)) out.push_back(e.type);
        return out;
    }
    bool has(const std::string& type, const std::string& hostname) const {
        const auto events = all();
        return std::any_of(events.begin(), events.end(), [&](const shoal::cluster_event& e) {
            return e.type == type && e.text("hostname") == hostname;
        });
    }

  private:
    mutable std::mutex mutex_;
    std::vector<shoal::cluster_event> events_;
    std::uint64_t dropped_ = 0;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

using sequence = std::vector<std::string>;

TEST(Events, ASubscriberSeesEachTasksExactSequenceAndTheWorkersComeAndGo) {
    // Two deaths dead-letter a task (crash kills its process-pool child each time).
    local_cluster cluster({"--max-attempts", "2"});
    ASSERT_FALSE(cluster.endpoint().empty());
    event_log log;
    shoal::client watcher(cluster.endpoint());
    auto subscription = watcher.subscribe_events([&](const shoal::event_batch& b) { log.add(b); });
    ASSERT_TRUE(watcher.wait_connected(30.0));
    watcher.flush(30.0);

    cluster.add_worker("w1", {"--threads", "2", "--processes", "1"});
    ASSERT_TRUE(wait_until([&] { return log.has("worker-online", "w1"); }, 30.0));
    ASSERT_TRUE(wait_until([&] { return log.has("worker-heartbeat", "w1"); }, 30.0));

    auto submit = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "submit");
        const auto r = cluster.cli(args);
        EXPECT_EQ(r.status, 0) << r.out;
        return first_line(r.out);
    };
    const std::string ok = submit({"add", "2", "3"});
    const std::string failed =
        submit({"fail", "\"boom\"", "--max-retries", "1", "--retry-delay", "0.1"});
    const std::string held = submit({"add", "1", "1", "--countdown", "600"});
    // The CLI says only that it failed (unknown_task): the library gives its id.
    shoal::client submitter(cluster.endpoint());
    const std::string unknown = submitter.submit_raw("no_such_task", "\x90").id().to_hex();
    const std::string dead = submit({"crash", "1"});
    EXPECT_EQ(cluster.cli({"revoke", held}).status, 0);

    const sequence ok_story{"task-sent", "task-received", "task-started", "task-succeeded"};
    const sequence failed_story{"task-sent",     "task-received", "task-started", "task-retried",
                                "task-received", "task-started",  "task-failed"};
    const sequence held_story{"task-sent", "task-revoked"};
    const sequence unknown_story{"task-sent", "task-rejected"};
    const sequence dead_story{"task-sent",     "task-received", "task-started",
                              "task-received", "task-started",  "task-dead-lettered"};
    EXPECT_TRUE(wait_until(
        [&] {
            return log.types_of(ok) == ok_story && log.types_of(failed) == failed_story &&
                   log.types_of(held) == held_story && log.types_of(unknown) == unknown_story &&
                   log.types_of(dead) == dead_story;
        },
        60.0));
    EXPECT_EQ(log.types_of(ok), ok_story);
    EXPECT_EQ(log.types_of(failed), failed_story);
    EXPECT_EQ(log.types_of(held), held_story);
    EXPECT_EQ(log.types_of(unknown), unknown_story);
    EXPECT_EQ(log.types_of(dead), dead_story);

    // The fields Celery's events carry.
    ASSERT_EQ(log.types_of(failed), failed_story);
    ASSERT_EQ(log.types_of(unknown), unknown_story);
    ASSERT_EQ(log.types_of(dead), dead_story);
    const auto ok_events = log.of(ok);
    ASSERT_EQ(ok_events.size(), 4u);
    EXPECT_EQ(ok_events[0].text("name"), "add");
    EXPECT_EQ(ok_events[0].text("queue"), "default");
    EXPECT_EQ(ok_events[0].payload_json("args"), "[2,3]");
    EXPECT_EQ(ok_events[1].text("hostname"), "w1");
    EXPECT_EQ(ok_events[3].payload_json("result"), "5");
    EXPECT_EQ(ok_events[3].text("hostname"), "w1");
    ASSERT_TRUE(ok_events[3].number("runtime").has_value());
    EXPECT_GE(*ok_events[3].number("runtime"), 0.0);
    for (std::size_t i = 1; i < ok_events.size(); ++i) {
        EXPECT_GT(ok_events[i].clock, ok_events[i - 1].clock) << "the clock orders events";
    }
    const auto failed_events = log.of(failed);
    ASSERT_EQ(failed_events.size(), failed_story.size());
    EXPECT_NE(failed_events[3].text("exception").value_or("").find("boom"), std::string::npos);
    EXPECT_EQ(failed_events[3].number("retries"), 1.0);
    EXPECT_NE(failed_events.back().text("exception").value_or("").find("boom"), std::string::npos);
    EXPECT_EQ(failed_events.back().text("hostname"), "w1");
    EXPECT_EQ(log.of(unknown).back().text("reason"), "unknown_task");
    EXPECT_EQ(log.of(dead).back().number("deaths"), 2.0);

    // A worker killed mid-task: its task goes to the next worker, told as received again.
    const std::string moved = submit({"sleep", "3.0"});
    ASSERT_TRUE(wait_until(
        [&] {
            return log.types_of(moved) == sequence{"task-sent", "task-received", "task-started"};
        },
        60.0))
        << ::testing::PrintToString(log.types_of(moved));
    cluster.add_worker("w2", {"--threads", "2", "--processes", "1"});
    ASSERT_TRUE(wait_until([&] { return log.has("worker-online", "w2"); }, 30.0));
    cluster.worker(0).signal(SIGKILL);
    const sequence moved_story{"task-sent",     "task-received", "task-started",
                               "task-received", "task-started",  "task-succeeded"};
    EXPECT_TRUE(wait_until([&] { return log.types_of(moved) == moved_story; }, 60.0))
        << ::testing::PrintToString(log.types_of(moved));
    const auto moved_events = log.of(moved);
    ASSERT_EQ(moved_events.size(), moved_story.size());
    EXPECT_EQ(moved_events[1].text("hostname"), "w1");
    EXPECT_EQ(moved_events[3].text("hostname"), "w2");
    EXPECT_EQ(moved_events[3].number("attempt"), 2.0);
    EXPECT_EQ(moved_events[5].text("hostname"), "w2");
    EXPECT_TRUE(log.has("worker-offline", "w1"));
    EXPECT_EQ(log.dropped(), 0u);
    EXPECT_FALSE(subscription.done());
    watcher.unsubscribe_events();
    EXPECT_TRUE(wait_until([&] { return subscription.done(); }, 30.0));
}

TEST(Events, TheCliTailsTheStreamAsLinesAndAsJson) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w-cli", {"--threads", "1", "--processes", "1"});
    ASSERT_TRUE(wait_until([&] { return cluster.cli({"status"}).status == 0; }, 30.0));
    // Three tails (capped at 300 s); a worker's heartbeats (every 100 ms here) show they listen.
    auto tail_with = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{shoal::testing::cluster_paths::cli(), "events"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--duration", "300", "--broker", cluster.endpoint()});
        return shoal::testing::child_process::spawn(argv);
    };
    auto tail = tail_with({"--json"});
    auto dump = tail_with({"--dump"});
    auto lines = tail_with({});
    // They subscribe within a moment; the task is submitted once a heartbeat reached them.
    ASSERT_TRUE(tail.read_line(30.0).has_value());
    ASSERT_TRUE(dump.read_line(30.0).has_value());
    ASSERT_TRUE(lines.read_line(30.0).has_value());
    const auto r = cluster.cli({"submit", "add", "20", "22"});
    ASSERT_EQ(r.status, 0) << r.out;
    const std::string id = first_line(r.out);
    // Each tail is read until its task-succeeded for this id shows (or 60 s), then stopped
    // with Ctrl-C, as a person would: no fixed window for a busy machine to miss.
    auto read_until_done = [&](shoal::testing::child_process& p, const std::string& succeeded,
                               const std::string& the_id) {
        std::string out;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < until) {
            const auto line = p.read_line(5.0);
            if (!line) continue;
            out += *line + "\n";
            const auto at = out.find(succeeded);
            if (at != std::string::npos && out.find(the_id, at) != std::string::npos) break;
        }
        p.signal(SIGINT);
        out += p.read_all(30.0);
        EXPECT_EQ(p.wait(30.0), 0);
        return out;
    };
    const std::string json =
        read_until_done(tail, "\"type\":\"task-succeeded\"", "\"uuid\":\"" + id + "\"");
    const std::string dumped =
        read_until_done(dump, "\"type\": \"task-succeeded\"", "\"uuid\": \"" + id + "\"");
    const std::string text = read_until_done(lines, "task-succeeded", id);
    EXPECT_NE(json.find("\"type\":\"task-succeeded\",\"timestamp\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"uuid\":\"" + id + "\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"result\":42"), std::string::npos) << json;
    EXPECT_NE(dumped.find("  \"uuid\": \"" + id + "\""), std::string::npos) << dumped;
    EXPECT_NE(text.find("task-succeeded     add " + id + " w-cli runtime="), std::string::npos)
        << text;
    EXPECT_NE(text.find("result=42"), std::string::npos) << text;
}

}  // namespace
