// Idempotent submit outlives the result TTL (broker_config::dedup_window_s): a task id whose
// result expired is still recognised for the rest of the window, so a client that reconnects
// late and submits again never runs the task twice.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

broker_config short_ttl() {
    auto c = harness_config();
    c.result_ttl_s = 10;
    c.dedup_window_s = 100;
    c.liveness = 10'000;  // advancing minutes must not end the peers' sessions
    return c;
}

void run_one(broker_harness& h, const proto::submitted_task& t) {
    h.send("c", proto::submit{{t}, {}});
    ASSERT_EQ(h.take<proto::accepted>("c").ids.size(), 1u);
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 1u);
    h.send("w",
           proto::done{{{{t.id, proto::task_status::ok, "\x07", {}}, d.tasks[0].attempt, {}}}, 1});
    ASSERT_EQ(h.results("c").size(), 1u);
}

TEST(BrokerDedup, ATaskSubmittedAgainAfterItsResultExpiredIsNotRunAgain) {
    broker_harness h(short_ttl());
    h.hello_client("c");
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{1});
    run_one(h, task(1));
    h.advance(30);  // the result expired (TTL 10 s); the window (100 s) still remembers it
    h.send("c", proto::fetch{{id_of(1)}});
    EXPECT_EQ(h.take<proto::fetched>("c").entries.at(0).state, proto::result_state::expired);
    h.send("c", proto::submit{{task(1)}, {}});
    const auto again = h.take<proto::accepted>("c");
    EXPECT_TRUE(again.ids.empty());
    ASSERT_EQ(again.refused.size(), 1u);
    EXPECT_EQ(again.refused[0].error.type, "result_expired");
    EXPECT_FALSE(h.has_mail("w")) << "ran twice";
    // Another body under the same id is a conflict, as it was while the result lived.
    h.send("c", proto::submit{{task(1, "add", "\x92\x09\x09")}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").refused.at(0).error.type, "conflict");
}

TEST(BrokerDedup, PastTheWindowTheIdIsNewAgain) {
    broker_harness h(short_ttl());
    h.hello_client("c");
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{1});
    run_one(h, task(1));
    h.advance(120);
    h.send("c", proto::submit{{task(1)}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").ids.size(), 1u);
    EXPECT_EQ(h.take<proto::dispatch>("w").tasks.size(), 1u);
}

}  // namespace
