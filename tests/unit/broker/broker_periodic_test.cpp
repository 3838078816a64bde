// Periodic tasks in the broker (broker/README.md, "Periodic tasks"), against the broker core on
// a manual clock whose wall time follows it: each slot's task is submitted at its time, once,
// under the slot's id; an admin adds, lists, pauses, resumes and removes them at run time;
// INSPECT scheduled shows them with their next run; a slot refused (busy) is tried again, not
// lost.

#include <gtest/gtest.h>

#include "broker_harness.hpp"
#include "schedule/periodic_table.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

// A round unix time, so slots land on whole seconds of the manual clock.
constexpr std::uint64_t start_ms = 1'800'000'000'000;

periodic_definition tick(std::string schedule = "every 1s") {
    periodic_definition d;
    d.name = "tick";
    d.task = "add";
    d.args = "\x92\x01\x02";
    d.schedule = std::move(schedule);
    return d;
}

broker_config with_periodic(std::vector<periodic_definition> defs) {
    broker_config c = harness_config();
    c.periodic = std::move(defs);
    return c;
}

std::vector<proto::dispatched_task> dispatched(broker_harness& h, std::string_view worker) {
    std::vector<proto::dispatched_task> out;
    for (auto& d : h.take_all<proto::dispatch>(worker)) {
        for (auto& t : d.tasks) out.push_back(std::move(t));
    }
    return out;
}

void finish_all(broker_harness& h, const std::vector<proto::dispatched_task>& tasks) {
    proto::done done;
    for (const auto& t : tasks) {
        done.finished.push_back({{t.id, proto::task_status::ok, "\x03", {}}, t.attempt, {}});
    }
    done.credit = static_cast<std::uint32_t>(tasks.size());
    h.send("w", done);
}

proto::report admin(broker_harness& h, proto::admin request) {
    h.send("ops", request);
    return h.take<proto::report>("ops");
}

proto::report_row row_of(const proto::report& r) {
    EXPECT_EQ(r.rows.size(), 1u);
    return r.rows.empty() ? proto::report_row{} : r.rows.front();
}

TEST(BrokerPeriodic, EachSlotSubmitsOneTaskUnderTheSlotsIdWithTheConfiguredArguments) {
    broker_harness h(with_periodic({tick()}), start_ms);
    h.hello_worker("w", {"add"}, 4);
    h.send("w", proto::ready{4});
    h.advance(0.9);
    EXPECT_TRUE(dispatched(h, "w").empty()) << "fired before its first slot";
    for (std::uint64_t slot = 1; slot <= 3; ++slot) {
        h.advance(slot == 1 ? 0.2 : 1.0);
        const auto tasks = dispatched(h, "w");
        ASSERT_EQ(tasks.size(), 1u) << "slot " << slot;
        EXPECT_EQ(tasks[0].id, slot_task_id("tick", start_ms + slot * 1000));
        EXPECT_EQ(tasks[0].name, "add");
        EXPECT_EQ(tasks[0].payload, "\x92\x01\x02");
        finish_all(h, tasks);
    }
    EXPECT_EQ(h.stats().periodic_fired, 3u);
    EXPECT_EQ(h.stats().submitted, 3u);
}

TEST(BrokerPeriodic, AnAdminAddsListsPausesResumesAndRemovesThemAtRunTime) {
    broker_harness h(harness_config(), start_ms);
    h.hello_client("ops");
    h.hello_worker("w", {"add"}, 4);
    h.send("w", proto::ready{4});
    const auto added = row_of(admin(
        h, {"periodic-add",
            {{"name", "half"}, {"task", "add"}, {"schedule", "every 500ms"}, {"queue", "default"}},
            "\x92\x05\x06"}));
    EXPECT_EQ(str_field(added, "periodic"), "half");
    EXPECT_EQ(str_field(added, "name"), "add");
    EXPECT_EQ(str_field(added, "schedule"), "every 500ms");
    EXPECT_EQ(int_field(added, "next_unix_ms"), static_cast<std::int64_t>(start_ms + 500));
    EXPECT_EQ(int_field(added, "next_in_ms"), 500);
    h.advance(0.6);
    auto tasks = dispatched(h, "w");
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].id, slot_task_id("half", start_ms + 500));
    EXPECT_EQ(tasks[0].payload, "\x92\x05\x06");
    finish_all(h, tasks);

    const auto listed = admin(h, {"periodic-list", {}, {}});
    ASSERT_EQ(listed.rows.size(), 1u);
    EXPECT_EQ(int_field(listed.rows[0], "runs"), 1);

    const auto paused = row_of(admin(h, {"periodic-pause", {{"name", "half"}}, {}}));
    EXPECT_EQ(int_field(paused, "paused"), 1);
    h.advance(2.0);
    EXPECT_TRUE(dispatched(h, "w").empty()) << "a paused periodic task fired";

    // Resumed at start + 2.6 s: the slots passed while paused are skipped, the next one runs.
    const auto resumed = row_of(admin(h, {"periodic-resume", {{"name", "half"}}, {}}));
    EXPECT_EQ(int_field(resumed, "paused"), 0);
    EXPECT_EQ(int_field(resumed, "skipped"), 4);  // 1.0, 1.5, 2.0, 2.5
    EXPECT_EQ(int_field(resumed, "next_unix_ms"), static_cast<std::int64_t>(start_ms + 3000));
    h.advance(0.5);
    tasks = dispatched(h, "w");
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].id, slot_task_id("half", start_ms + 3000));
    finish_all(h, tasks);

    const auto removed = row_of(admin(h, {"periodic-remove", {{"name", "half"}}, {}}));
    EXPECT_EQ(str_field(removed, "periodic"), "half");
    h.advance(2.0);
    EXPECT_TRUE(dispatched(h, "w").empty()) << "a removed periodic task fired";
    EXPECT_TRUE(admin(h, {"periodic-list", {}, {}}).rows.empty());
}

TEST(BrokerPeriodic, ABadRequestIsAnErrorNamingWhatIsWrongAndChangesNothing) {
    broker_harness h(harness_config(), start_ms);
    h.hello_client("ops");
    const auto error_for = [&](proto::admin request) {
        h.send("ops", request);
        return h.take<proto::error_reply>("ops");
    };
    auto e = error_for(
        {"periodic-add", {{"name", "p"}, {"task", "add"}, {"schedule", "cron 0 25 * * *"}}, {}});
    EXPECT_EQ(e.code, "bad_body");
    EXPECT_NE(e.message.find("cron field 2 (hour) '25'"), std::string::npos) << e.message;
    e = error_for(
        {"periodic-add",
         {{"name", "p"}, {"task", "add"}, {"schedule", "cron 0 2 * * *"}, {"zone", "Mars/Olympus"}},
         {}});
    EXPECT_NE(e.message.find("Mars/Olympus"), std::string::npos) << e.message;
    e = error_for({"periodic-add", {{"task", "add"}, {"schedule", "every 1s"}}, {}});
    EXPECT_NE(e.message.find("name: required"), std::string::npos) << e.message;
    e = error_for({"periodic-add", {{"name", "p"}, {"task", std::int64_t{3}}}, {}});
    EXPECT_NE(e.message.find("task: must be a string"), std::string::npos) << e.message;
    e = error_for({"periodic-remove", {{"name", "nobody"}}, {}});
    EXPECT_NE(e.message.find("no periodic task 'nobody'"), std::string::npos) << e.message;
    e = error_for({"periodic-launch", {{"name", "p"}}, {}});
    EXPECT_NE(e.message.find("unknown action 'periodic-launch'"), std::string::npos) << e.message;
    EXPECT_TRUE(admin(h, {"periodic-list", {}, {}}).rows.empty());
}

TEST(BrokerPeriodic, InspectScheduledListsPeriodicTasksSoonestFirstThenHeldTasks) {
    auto slow = tick("every 1h");
    slow.name = "hourly";
    broker_harness h(with_periodic({slow, tick()}), start_ms);
    h.hello_client("ops");
    auto later = task(1);
    later.options.countdown_ms = 60'000;
    h.send("ops", proto::submit{{later}, {}});
    (void)h.take<proto::accepted>("ops");
    h.send("ops", proto::inspect{"scheduled"});
    const auto report = h.take<proto::report>("ops");
    ASSERT_EQ(report.rows.size(), 3u);
    EXPECT_EQ(str_field(report.rows[0], "periodic"), "tick");
    EXPECT_EQ(int_field(report.rows[0], "next_unix_ms"),
              static_cast<std::int64_t>(start_ms + 1000));
    EXPECT_EQ(str_field(report.rows[1], "periodic"), "hourly");
    EXPECT_EQ(int_field(report.rows[1], "next_in_ms"), 3'600'000);
    EXPECT_EQ(str_field(report.rows[1], "schedule"), "every 1h");
    EXPECT_EQ(int_field(report.rows[1], "from_config"), 1);
    EXPECT_EQ(str_field(report.rows[2], "kind"), "held");
    EXPECT_EQ(str_field(report.rows[2], "task"), id_of(1).to_hex());
    EXPECT_EQ(int_field(report.rows[2], "due_unix_ms"),
              static_cast<std::int64_t>(start_ms + 60'000));
}

TEST(BrokerPeriodic, ASlotRefusedBusyIsTriedAgainUnderTheSameIdNotLost) {
    broker_config c = with_periodic({tick()});
    c.max_queued_bytes = 1000;
    broker_harness h(c, start_ms);
    h.hello_client("c");
    // The budget is full: one big task waits (a first task is always taken, whatever its size).
    h.send("c", proto::submit{{task(1, "add", std::string(2000, 'x'))}, {}});
    ASSERT_EQ(h.take<proto::accepted>("c").ids.size(), 1u);
    h.advance(1.1);
    EXPECT_EQ(h.stats().periodic_refused, 1u);
    EXPECT_EQ(h.stats().periodic_fired, 0u);
    // A worker takes the big task; the budget has room again by the retry, busy_retry_ms
    // (500 ms) later, before the next slot.
    h.hello_worker("w", {"add"}, 4);
    h.send("w", proto::ready{4});
    auto tasks = dispatched(h, "w");
    ASSERT_EQ(tasks.size(), 1u);
    finish_all(h, tasks);
    h.advance(0.5);
    tasks = dispatched(h, "w");
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].id, slot_task_id("tick", start_ms + 1000)) << "the refused slot was lost";
    EXPECT_EQ(h.stats().periodic_fired, 1u);
}

}  // namespace
