// Only the steady clock measures durations: a countdown, a retry's wait, a result's TTL and a
// peer's liveness run on the loop's steady clock, so a wall clock stepped by an hour either way
// (NTP, a VM resumed, an operator) changes none of them. What is asked in wall time (eta,
// expiry) is placed on the steady clock once, when the task arrives.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

constexpr std::uint64_t hour_ms = 3'600'000;

class BrokerClock : public ::testing::Test {
  protected:
    static broker_config config() {
        auto c = harness_config();
        c.result_ttl_s = 120;
        c.liveness = 10'000;  // minutes pass in these tests
        return c;
    }
    void SetUp() override {
        h.core().set_wall_clock([this] { return wall_ms; });
        h.hello_client("c");
        h.hello_worker("w", {"add"});
        h.send("w", proto::ready{1});
    }
    std::uint64_t wall_ms = 1'800'000'000'000;  // some day in 2027
    broker_harness h{config()};
};

TEST_F(BrokerClock, ACountdownIsUntouchedByAWallClockSteppedAnHourEitherWay) {
    auto t = task(1);
    t.options.countdown_ms = 60'000;
    h.send("c", proto::submit{{t}, {}});
    h.take<proto::accepted>("c");
    wall_ms += hour_ms;  // forward: nothing is due because of it
    h.advance(30);
    EXPECT_FALSE(h.has_mail("w"));
    wall_ms -= 2 * hour_ms;  // and back: nothing waits longer because of it
    h.advance(31);
    EXPECT_EQ(h.take<proto::dispatch>("w").tasks.size(), 1u);
}

TEST_F(BrokerClock, AResultsTtlIsUntouchedByTheWallClock) {
    h.send("c", proto::submit{{task(1)}, {}});
    h.take<proto::accepted>("c");
    const auto d = h.take<proto::dispatch>("w");
    h.send("w", proto::done{{{{d.tasks[0].id, proto::task_status::ok, "\x01", {}}, 1, {}}}, 1});
    h.results("c");
    wall_ms += 24 * hour_ms;
    h.advance(1);
    h.send("c", proto::fetch{{id_of(1)}});
    EXPECT_EQ(h.take<proto::fetched>("c").entries.at(0).state, proto::result_state::done);
    h.advance(120);
    h.send("c", proto::fetch{{id_of(1)}});
    EXPECT_EQ(h.take<proto::fetched>("c").entries.at(0).state, proto::result_state::expired);
}

TEST_F(BrokerClock, AnEtaIsPlacedOnTheSteadyClockWhenTheTaskArrives) {
    auto t = task(1);
    t.options.eta_ms = wall_ms + 60'000;  // in wall time: a minute from now
    h.send("c", proto::submit{{t}, {}});
    h.take<proto::accepted>("c");
    h.send("c", proto::inspect{"held"});
    const auto held = h.take<proto::report>("c");
    ASSERT_EQ(held.rows.size(), 1u);
    EXPECT_EQ(int_field(held.rows[0], "due_in_ms"), 60'000);
    EXPECT_EQ(int_field(held.rows[0], "due_unix_ms"), static_cast<std::int64_t>(wall_ms + 60'000));
    wall_ms += hour_ms;
    h.advance(59);
    EXPECT_FALSE(h.has_mail("w"));
    h.advance(2);
    EXPECT_EQ(h.take<proto::dispatch>("w").tasks.size(), 1u);
}

}  // namespace
