// The dashboard's model (cluster_model.hpp): events as the broker packs them, workers online
// and offline, the broker's INSPECT answers, rates, the charts, and a broker that restarts.
#include "shoal/dashboard/cluster_model.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "dashboard_events.hpp"

namespace {

using namespace shoal::dashboard;
using dashboard_test::id;
using dashboard_test::on_worker;
using dashboard_test::sent;
using dashboard_test::task;
using dashboard_test::worker;

// One event map, packed as the broker packs it (str keys, payloads as bin of msgpack).
shoal::cluster_event packed_sent(std::uint64_t n, std::uint64_t clock) {
    msgpack::sbuffer args;
    msgpack::packer<msgpack::sbuffer> a(args);
    a.pack_array(2);
    a.pack(2);
    a.pack(std::string("x"));
    msgpack::sbuffer out;
    msgpack::packer<msgpack::sbuffer> p(out);
    p.pack_map(8);
    p.pack(std::string("type"));
    p.pack(std::string("task-sent"));
    p.pack(std::string("timestamp"));
    p.pack(1000.5);
    p.pack(std::string("clock"));
    p.pack(clock);
    p.pack(std::string("uuid"));
    p.pack(id(n));
    p.pack(std::string("name"));
    p.pack(std::string("add"));
    p.pack(std::string("queue"));
    p.pack(std::string("gpu"));
    p.pack(std::string("args"));
    p.pack_bin(static_cast<std::uint32_t>(args.size()));
    p.pack_bin_body(args.data(), static_cast<std::uint32_t>(args.size()));
    p.pack(std::string("priority"));
    p.pack(std::uint64_t{7});
    return shoal::cluster_event::from_msgpack(std::string(out.data(), out.size()));
}

shoal::proto::report report(std::string what, std::vector<shoal::proto::report_row> rows) {
    return shoal::proto::report{std::move(what), std::move(rows)};
}

TEST(DashboardModel, DecodesTheBrokersEventMapsWithTheirPayloadsAsJson) {
    const auto fields = decode_event(packed_sent(1, 1));
    ASSERT_TRUE(fields.has_value());
    EXPECT_EQ(fields->type, "task-sent");
    EXPECT_EQ(fields->uuid, id(1));
    EXPECT_EQ(fields->queue, "gpu");
    EXPECT_EQ(fields->args, "[2,\"x\"]");
    EXPECT_EQ(fields->priority, 7u);
    EXPECT_EQ(fields->timestamp, 1000.5);

    cluster_model model(100);
    shoal::event_batch batch;
    batch.events.push_back(packed_sent(1, 1));
    batch.dropped = 3;
    model.apply(batch);
    model.read([](const model_state& s) {
        EXPECT_EQ(s.tasks.size(), 1u);
        EXPECT_EQ(s.events_received, 1u);
        EXPECT_EQ(s.events_dropped, 3u);
        EXPECT_EQ(s.events_status, "live");
        EXPECT_TRUE(s.task_names.contains("add"));
        return 0;
    });
}

TEST(DashboardModel, NotAMapIsNoEvent) {
    shoal::cluster_event e;
    e.type = "task-sent";
    e.msgpack = std::string("\x93\x01\x02\x03", 4);  // an array
    EXPECT_FALSE(decode_event(e).has_value());
}

TEST(DashboardModel, WorkersGoOnlineAndOfflineWithTheirEvents) {
    cluster_model model(100);
    model.apply(worker("worker-online", "w1", 1, 100.0));
    model.apply(worker("worker-heartbeat", "w1", 2, 101.0));
    model.apply(worker("worker-online", "w2", 3, 101.0));
    auto gone = worker("worker-offline", "w2", 4, 102.0);
    gone.reason = "silent for 3 s";
    model.apply(gone);
    model.read([](const model_state& s) {
        const auto& all = s.workers.all();
        EXPECT_EQ(all.size(), 2u);
        EXPECT_EQ(s.workers.online(), 1u);
        const worker_record& w1 = all.at("w1");
        EXPECT_TRUE(w1.online);
        EXPECT_EQ(w1.version, "shoal/0.2.0");
        EXPECT_EQ(w1.last_heartbeat, 101.0);
        EXPECT_EQ(w1.slots, 4u);
        EXPECT_EQ(w1.processed, 10u);
        const worker_record& w2 = all.at("w2");
        EXPECT_FALSE(w2.online);
        EXPECT_EQ(w2.offline_reason, "silent for 3 s");
        EXPECT_EQ(w2.active, 0u);
        return 0;
    });
}

TEST(DashboardModel, InspectWorkersFindsWorkersAndMarksTheUnlistedOffline) {
    using shoal::proto::report_row;
    cluster_model model(100);
    model.apply(worker("worker-online", "old", 1, 100.0));
    const std::uint64_t asked = model.order_now();
    // Heard from after the question: the answer cannot know it yet.
    model.apply(worker("worker-online", "new", 2, 101.0));
    model.apply_report(report("workers", {report_row{{"name", std::string("w9")},
                                                     {"version", std::string("shoal/0.2.0")},
                                                     {"slots", std::int64_t{8}},
                                                     {"held", std::int64_t{2}},
                                                     {"done", std::int64_t{40}},
                                                     {"queues", std::string("default,gpu")},
                                                     {"last_heard_ms", std::int64_t{500}}}}),
                       asked, 200.0);
    model.read([](const model_state& s) {
        const auto& all = s.workers.all();
        EXPECT_TRUE(all.at("w9").online);
        EXPECT_EQ(all.at("w9").queues, "default,gpu");
        EXPECT_EQ(all.at("w9").load, 0.25);
        EXPECT_EQ(all.at("w9").last_heartbeat, 199.5);
        EXPECT_FALSE(all.at("old").online);
        EXPECT_TRUE(all.at("new").online);
        EXPECT_TRUE(s.workers_inspect.report.has_value());
        return 0;
    });
}

TEST(DashboardModel, QueuesHaveDepthFromInspectAndRatesFromEvents) {
    using shoal::proto::report_row;
    cluster_model model(100);
    std::uint64_t clock = 1;
    // 20 tasks into "default" over the 10 s before t=1010, 10 of them dispatched.
    for (std::uint64_t n = 1; n <= 20; ++n) {
        model.apply(sent(n, clock++, 1000.0 + static_cast<double>(n) / 2.0));
        if (n % 2 == 0) {
            model.apply(on_worker(
                task("task-received", n, clock++, 1000.0 + static_cast<double>(n) / 2.0), "w1", 1));
        }
    }
    model.apply_report(report("queues", {report_row{{"name", std::string("default")},
                                                    {"length", std::int64_t{10}},
                                                    {"consumers", std::int64_t{1}},
                                                    {"workers", std::string("w1")},
                                                    {"oldest_age_ms", std::int64_t{1500}}},
                                         report_row{{"name", std::string("idle")},
                                                    {"length", std::int64_t{0}},
                                                    {"consumers", std::int64_t{0}},
                                                    {"workers", std::string()}}}),
                       model.order_now(), 1010.5);
    model.read([](const model_state& s) {
        const auto& q = s.queues.all().at("default");
        EXPECT_EQ(q.length, 10);
        EXPECT_EQ(q.oldest_age_ms, 1500);
        // Tasks sent at 1000.5 .. 1009.5 (19 of them before 1010), over [1000, 1010).
        EXPECT_DOUBLE_EQ(q.in.rate(1010.5, queue_table::rate_window_s), 1.9);
        EXPECT_DOUBLE_EQ(q.out.rate(1010.5, queue_table::rate_window_s), 0.9);
        EXPECT_FALSE(s.queues.all().at("idle").oldest_age_ms.has_value());
        EXPECT_EQ(s.queues.total_length(), 10);
        const auto depth = s.depth.window(1010.5, -1);
        EXPECT_EQ(depth.back(), 10.0);
        return 0;
    });
    // A queue the broker no longer lists, with no traffic in the last minute, goes.
    model.apply_report(report("queues", {}), model.order_now(), 1200.0);
    model.read([](const model_state& s) {
        EXPECT_TRUE(s.queues.all().empty());
        return 0;
    });
}

TEST(DashboardModel, TheChartsCountSuccessesFailuresAndRetriesPerBucket) {
    cluster_model model(100);
    model.apply(sent(1, 1, 3600.0));
    model.apply(task("task-succeeded", 1, 2, 3601.0));
    model.apply(sent(2, 3, 3602.0));
    auto failed = task("task-failed", 2, 4, 3603.0);
    failed.exception_type = "std::runtime_error";
    model.apply(failed);
    auto retried = task("task-retried", 3, 5, 3615.0);
    model.apply(retried);
    model.read([](const model_state& s) {
        const auto ok = s.succeeded.window(3615.0);
        EXPECT_EQ(ok.size(), model_state::chart_buckets);
        EXPECT_EQ(ok[ok.size() - 2], 1.0);  // the bucket [3600, 3610)
        EXPECT_EQ(s.failed.window(3615.0)[ok.size() - 2], 1.0);
        EXPECT_EQ(s.sent.window(3615.0)[ok.size() - 2], 2.0);
        EXPECT_EQ(s.retried.window(3615.0).back(), 1.0);
        return 0;
    });
}

TEST(DashboardModel, ABrokerThatStartsOverIsNotMistakenForLateEvents) {
    cluster_model model(100);
    for (std::uint64_t c = 1; c <= 5000; ++c)
        model.apply(worker("worker-heartbeat", "w1", c, 100.0));
    model.apply(sent(1, 4990, 100.0));  // late, within the gap: not a restart
    model.read([](const model_state& s) {
        EXPECT_EQ(s.broker_restarts, 0u);
        return 0;
    });
    // The broker restarted: its clock starts at 1 again, and the task's new events count.
    model.apply(task("task-succeeded", 1, 1, 200.0));
    model.read([](const model_state& s) {
        EXPECT_EQ(s.broker_restarts, 1u);
        const task_record* r = s.tasks.find(*shoal::proto::task_id::from_hex(id(1)));
        EXPECT_NE(r, nullptr);
        if (r != nullptr) {
            EXPECT_EQ(r->state, task_state::succeeded);
        }
        return 0;
    });
}

TEST(DashboardModel, GapsInTheClockAreCounted) {
    cluster_model model(100);
    model.apply(worker("worker-heartbeat", "w1", 1, 100.0));
    model.apply(worker("worker-heartbeat", "w1", 5, 100.0));
    model.read([](const model_state& s) {
        EXPECT_EQ(s.clock_gaps, 3u);
        return 0;
    });
}

TEST(DashboardModel, AForbiddenInspectForgetsWhatWasShown) {
    cluster_model model(100);
    model.apply_report(report("dead", {shoal::proto::report_row{{"task", id(1)}}}), 0, 10.0);
    model.report_failed("dead", "timeout", "no answer", 12.0);
    model.read([](const model_state& s) {
        EXPECT_TRUE(s.dead.report.has_value()) << "a timeout keeps the last answer";
        return 0;
    });
    model.report_failed("dead", "forbidden", "INSPECT dead needs an admin key", 14.0);
    model.read([](const model_state& s) {
        EXPECT_FALSE(s.dead.report.has_value());
        EXPECT_EQ(s.dead.error_code, "forbidden");
        return 0;
    });
}

TEST(DashboardModel, TheStreamsStatusFollowsTheConnectionUntilTheSubscriptionEnds) {
    cluster_model model(100);
    model.set_connected(true);
    EXPECT_EQ(model.read([](const model_state& s) { return s.events_status; }), "live");
    model.set_connected(false);
    EXPECT_EQ(model.read([](const model_state& s) { return s.events_status; }), "disconnected");
    model.set_events_status("refused", "forbidden: events need an admin key");
    model.set_connected(true);
    EXPECT_EQ(model.read([](const model_state& s) { return s.events_status; }), "refused");
}

}  // namespace
