// The broker core through its message port (tests/support/broker_harness.hpp): in-process, on
// a manual clock. Sessions, dispatch and liveness decided exactly, never by the machine's speed.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

TEST(BrokerCore, ATaskGoesFromSubmitThroughDispatchToItsResult) {
    broker_harness h;
    h.hello_client("c");
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{1});
    h.send("c", proto::submit{{task(1)}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").ids, std::vector<proto::task_id>{id_of(1)});
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 1u);
    h.send("w", done_of(d.tasks, 1));
    const auto r = h.results("c");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].id, id_of(1));
    EXPECT_EQ(r[0].payload, "\x92\x01\x02");
}

// A client that has acknowledged everything (nothing outstanding) gets one pass's results cut
// at its output window, not one RESULT as large as a message may be: a stalled client costs
// the broker its window. (Found by tests/fault/stalled_client_test.cpp's reasoning: with a
// 1 MiB window, a pass that finished 8,000 results of 2 KiB sent a 16 MiB RESULT.)
TEST(BrokerCore, OnePassOfResultsToAClientIsCutAtItsOutputWindow) {
    broker_config config = harness_config();
    config.window_bytes = 64u << 10;
    broker_harness h(config);
    h.hello_client("c");
    h.hello_worker("w", {"add"}, 200);
    h.send("w", proto::ready{200});
    proto::submit s;
    for (std::uint32_t i = 1; i <= 200; ++i) s.tasks.push_back(task(i));
    h.send("c", s);
    const auto accepted = h.next("c");
    ASSERT_TRUE(accepted && accepted->cmd == proto::command::accepted);
    // The client acknowledges all it was sent: nothing is outstanding.
    h.send("c", proto::heartbeat{accepted->body.size()});
    // One DONE with 200 results of 2 KiB: 400 KiB for a 64 KiB window.
    proto::done d = done_of(h.take<proto::dispatch>("w").tasks, 200);
    ASSERT_EQ(d.finished.size(), 200u);
    for (auto& f : d.finished) f.result.payload = std::string(2048, 'r');
    h.send("w", d);
    std::size_t sent = 0;
    std::size_t results = 0;
    while (auto m = h.next("c")) {
        ASSERT_EQ(m->cmd, proto::command::result);
        sent += m->body.size();
        results += proto::decode<proto::result>(m->body).outcomes.size();
    }
    EXPECT_LE(sent, config.window_bytes) << "one pass sent " << sent << " bytes of RESULT past a "
                                         << config.window_bytes << "-byte window";
    EXPECT_GT(results, 0u);
    EXPECT_LT(results, 200u);
    EXPECT_GT(h.stats().output_dropped, 0u);
}

TEST(BrokerCore, ASilentWorkerDiesExactlyAfterItsLivenessAndItsTasksMoveOn) {
    broker_harness h;  // heartbeat 100 ms, liveness 3: dead after 300 ms of silence
    h.hello_client("c");
    h.hello_worker("doomed", {"add"});
    h.send("doomed", proto::ready{1});
    h.send("c", proto::submit{{task(1)}, {}});
    ASSERT_EQ(h.take<proto::dispatch>("doomed").tasks.size(), 1u);
    h.hello_worker("rescuer", {"add"});
    h.send("rescuer", proto::ready{1});
    h.silence("doomed");
    h.advance(0.275);
    EXPECT_FALSE(h.has_mail("rescuer")) << "declared dead before 300 ms of silence";
    EXPECT_EQ(h.stats().workers_dead, 0u);
    h.advance(0.05);
    EXPECT_EQ(h.stats().workers_dead, 1u);
    const auto d = h.take<proto::dispatch>("rescuer");
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, id_of(1));
    EXPECT_EQ(d.tasks[0].attempt, 2u);
    EXPECT_EQ(h.stats().clients_dead, 0u) << "a live client heartbeats through the advance";
}

// PROTOCOL.md 6: a dead letter revoked is over, and the queue it came from keeps its count:
// the task queued behind it in the same lane still runs.
TEST(BrokerCore, RevokingADeadLetterLeavesItsLaneCountRight) {
    auto config = harness_config();
    config.max_attempts = 1;  // the first death sets a task aside
    broker_harness h(config);
    h.hello_client("c");
    h.hello_worker("doomed", {"add"});
    h.send("doomed", proto::ready{1});
    h.send("c", proto::submit{{task(1)}, {}});
    ASSERT_EQ(h.take<proto::dispatch>("doomed").tasks.size(), 1u);
    h.silence("doomed");
    h.advance(1.0);
    ASSERT_EQ(h.stats().dead_lettered, 1u);
    h.take<proto::accepted>("c");
    h.results("c");  // lost: dead_letter
    // Task 2 waits in the lane task 1 came from; then task 1, a dead letter, is revoked.
    h.send("c", proto::submit{{task(2)}, {}});
    h.take<proto::accepted>("c");
    h.send("c", proto::revoke{{id_of(1)}, false});
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{1});
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 1u) << "task 2 stranded in its lane";
    EXPECT_EQ(d.tasks[0].id, id_of(2));
}

// No single request holds the loop: a PURGE of a long queue goes a slice (10,000) per pass.
TEST(BrokerCore, APurgeOfALongQueueGoesASlicePerPassAndCountsEveryTask) {
    broker_harness h;
    h.hello_client("c");
    for (std::uint32_t chunk = 0; chunk < 3; ++chunk) {
        std::vector<proto::submitted_task> tasks;
        for (std::uint32_t i = 1; i <= 10'000; ++i) tasks.push_back(task(chunk * 10'000 + i));
        h.send("c", proto::submit{tasks, {}});
        ASSERT_EQ(h.take<proto::accepted>("c").ids.size(), 10'000u);
    }
    h.send("c", proto::purge{"default"});  // one wake-up, and the pass after it
    EXPECT_LT(h.stats().revoked, 30'000u) << "the whole queue went in one pass";
    EXPECT_GT(h.stats().revoked, 0u);
    for (int pass = 0; pass < 10 && h.stats().revoked < 30'000; ++pass) h.run_once();
    EXPECT_EQ(h.stats().revoked, 30'000u);
    std::size_t told = 0;
    std::optional<proto::purged> purged;
    while (auto m = h.next("c")) {
        if (m->cmd == proto::command::result)
            told += proto::decode<proto::result>(m->body).outcomes.size();
        if (m->cmd == proto::command::purged) purged = proto::decode<proto::purged>(m->body);
    }
    ASSERT_TRUE(purged.has_value());
    EXPECT_EQ(purged->count, 30'000u);
    EXPECT_EQ(told, 30'000u);
}

}  // namespace
