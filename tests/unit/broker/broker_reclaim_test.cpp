// Names and tables are reclaimed: queues and lanes that hold nothing and that no worker offers
// are freed, so a client sending a thousand queue names costs nothing once they are empty; a
// lane that a held, running or dead-lettered task will come back to stays.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

std::int64_t stat(broker_harness& h, std::string_view key) {
    h.send("ops", proto::inspect{"stats"});
    return int_field(h.take<proto::report>("ops").rows.at(0), key);
}

TEST(BrokerReclaim, EmptyQueuesAndLanesNobodyOffersAreFreed) {
    broker_harness h;
    h.hello_client("c");
    h.hello_client("ops");
    const auto lanes_before = stat(h, "lanes");
    const auto queues_before = stat(h, "queue_names");
    std::vector<proto::submitted_task> many;
    for (std::uint32_t i = 1; i <= 1000; ++i) {
        auto t = task(i, "job-" + std::to_string(i));
        t.queue = "queue-" + std::to_string(i);
        many.push_back(std::move(t));
    }
    h.send("c", proto::submit{many, {}});
    ASSERT_EQ(h.take<proto::accepted>("c").ids.size(), 1000u);
    EXPECT_EQ(stat(h, "lanes"), lanes_before + 1000);
    std::vector<proto::task_id> ids;
    for (std::uint32_t i = 1; i <= 1000; ++i) ids.push_back(id_of(i));
    h.send("c", proto::purge{"queue-7"});
    h.send("c", proto::revoke{ids, false});
    h.advance(11);  // the sweep runs every 10 s; no worker ever took from these lanes
    EXPECT_EQ(stat(h, "lanes"), lanes_before);
    EXPECT_EQ(stat(h, "queue_names"), queues_before);
    EXPECT_EQ(stat(h, "task_names"), 0);
    // Names come back as they are used again.
    h.hello_worker("w", {"job-5"}, 1, 0, "", {"queue-5"});
    h.send("w", proto::ready{1});
    auto again = task(2000, "job-5");
    again.queue = "queue-5";
    h.send("c", proto::submit{{again}, {}});
    EXPECT_EQ(h.take<proto::dispatch>("w").tasks.at(0).name, "job-5");
}

TEST(BrokerReclaim, ALaneAHeldTaskWillComeBackToStays) {
    broker_harness h;
    h.hello_client("c");
    h.hello_client("ops");
    auto held = task(1, "later");
    held.queue = "slow";
    held.options.countdown_ms = 30'000;
    h.send("c", proto::submit{{held}, {}});
    h.take<proto::accepted>("c");
    h.advance(11);
    EXPECT_EQ(stat(h, "queue_names"), 1);
    h.hello_worker("w", {"later"}, 1, 0, "", {"slow"});
    h.send("w", proto::ready{1});
    h.advance(20);
    const auto d = h.take<proto::dispatch>("w");
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].name, "later");
}

}  // namespace
