// Admission control (PROTOCOL.md 8, "busy"; broker/README.md, "Budgets"): the bytes of tasks
// the broker holds are bounded; a SUBMIT past the bound is refused `busy` with a retry-after,
// nothing of it kept, and accepted again once the budget has room. Revoked and expired tasks
// give their bytes back at once.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

// Room for about three tasks of 1000 bytes (each is charged its bytes plus its records).
broker_config small_budget() {
    auto c = harness_config();
    c.max_queued_bytes = 4000;
    c.busy_retry_ms = 250;
    return c;
}

proto::submitted_task big(std::uint32_t n) { return task(n, "add", std::string(1000, 'x')); }

// Read by a client of its own ("ops"), so that the test's client keeps its own messages.
std::uint64_t stat(broker_harness& h, std::string_view key) {
    if (h.port().outbox.count("ops") == 0) h.hello_client("ops");
    h.send("ops", proto::inspect{"stats"});
    return static_cast<std::uint64_t>(int_field(h.take<proto::report>("ops").rows.at(0), key));
}

TEST(BrokerBudget, ASubmitPastTheQueuedBudgetIsRefusedBusyWithARetryAfterAndNothingKept) {
    broker_harness h(small_budget());
    h.hello_client("c");
    h.send("c", proto::submit{{big(1), big(2), big(3), big(4), big(5)}, {}});
    const auto a = h.take<proto::accepted>("c");
    EXPECT_EQ(a.ids.size(), 3u);
    ASSERT_EQ(a.refused.size(), 2u);
    for (const auto& r : a.refused) {
        EXPECT_EQ(r.error.type, "busy");
        EXPECT_NE(r.error.message.find("max_queued_bytes"), std::string::npos) << r.error.message;
    }
    EXPECT_EQ(a.retry_after_ms, 250u);
    EXPECT_EQ(h.stats().busy, 2u);
    // Nothing of the refused tasks is kept: FETCH does not know them.
    h.send("c", proto::fetch{{id_of(4), id_of(5)}});
    for (const auto& e : h.take<proto::fetched>("c").entries)
        EXPECT_EQ(e.state, proto::result_state::unknown);
    EXPECT_LE(stat(h, "queued_bytes"), 4000u);
    EXPECT_EQ(stat(h, "max_queued_bytes"), 4000u);
}

TEST(BrokerBudget, FinishedTasksGiveTheirBytesBackAndTheRefusedOnesAreThenAccepted) {
    broker_harness h(small_budget());
    h.hello_client("c");
    h.send("c", proto::submit{{big(1), big(2), big(3), big(4)}, {}});
    ASSERT_EQ(h.take<proto::accepted>("c").refused.size(), 1u);
    h.hello_worker("w", {"add"}, 3);
    h.send("w", proto::ready{3});
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 3u);
    EXPECT_GT(stat(h, "queued_bytes"), 3000u) << "running tasks are still held by the broker";
    proto::done done;
    for (const auto& t : d.tasks)
        done.finished.push_back({{t.id, proto::task_status::ok, "\x01", {}}, t.attempt, {}});
    done.credit = 3;
    h.send("w", done);
    EXPECT_EQ(h.results("c").size(), 3u);
    EXPECT_EQ(stat(h, "queued_bytes"), 0u);
    // The same task again, as the client sends it after the retry-after: accepted and run.
    h.send("c", proto::submit{{big(4)}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").ids, std::vector<proto::task_id>{id_of(4)});
    EXPECT_EQ(h.take<proto::dispatch>("w").tasks.at(0).id, id_of(4));
}

TEST(BrokerBudget, RevokedAndExpiredTasksFreeTheirBytesAtOnceWhereverTheyWait) {
    broker_harness h(small_budget());
    h.hello_client("c");
    auto held = big(1);
    held.options.countdown_ms = 3'600'000;  // held by the broker for an hour
    auto queued = big(2);                   // no worker: waits in its queue
    auto expiring = big(3);
    expiring.options.expires_ms = static_cast<std::uint64_t>(system_epoch_ms()) + 1000;
    expiring.options.countdown_ms = 3'600'000;
    h.send("c", proto::submit{{held, queued, expiring}, {}});
    ASSERT_EQ(h.take<proto::accepted>("c").ids.size(), 3u);
    EXPECT_GT(stat(h, "queued_bytes"), 3000u);
    h.send("c", proto::revoke{{id_of(1), id_of(2)}, false});
    h.advance(1.5);  // task 3's expiry passes while it is held
    EXPECT_EQ(stat(h, "queued_bytes"), 0u) << "revoked and expired tasks kept their bytes";
    const auto told = h.results("c");
    ASSERT_EQ(told.size(), 3u);
    EXPECT_EQ(told[2].status, proto::task_status::expired);
    // The budget has room again, long before the countdowns would have ended.
    h.send("c", proto::submit{{big(4), big(5), big(6)}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").ids.size(), 3u);
}

}  // namespace

namespace {

TEST(BrokerBudget, ADependentOfATaskRefusedBusyInTheSameSubmitIsBusyToo) {
    // Two tasks of 1500 bytes fill most of the budget; a third is refused busy. A small task
    // taking the third's result would fit, but its input is not there: it is refused busy as
    // well (the client sends both again, in order), not bad_task for an unknown input.
    broker_harness h(small_budget());
    h.hello_client("c");
    const auto large = [](std::uint32_t n) { return task(n, "add", std::string(1500, 'x')); };
    auto dependent = task(4, "add", "\x91\xc0");
    dependent.options.inputs = {{0, {id_of(3)}, false}};
    h.send("c", proto::submit{{large(1), large(2), large(3), dependent}, {}});
    const auto a = h.take<proto::accepted>("c");
    EXPECT_EQ(a.ids.size(), 2u);
    ASSERT_EQ(a.refused.size(), 2u);
    EXPECT_EQ(a.refused[0].id, id_of(3));
    EXPECT_EQ(a.refused[1].id, id_of(4));
    EXPECT_EQ(a.refused[1].error.type, "busy") << a.refused[1].error.message;
    EXPECT_GT(a.retry_after_ms, 0u);
    // With room again, both are accepted, and the dependent waits for its input.
    h.send("c", proto::revoke{{id_of(1)}});
    EXPECT_EQ(h.take<proto::result>("c").outcomes.at(0).status, proto::task_status::revoked);
    h.send("c", proto::submit{{large(3), dependent}, {}});
    EXPECT_EQ(h.take<proto::accepted>("c").ids.size(), 2u);
    EXPECT_EQ(stat(h, "waiting_for_inputs"), 1u);
}

}  // namespace
