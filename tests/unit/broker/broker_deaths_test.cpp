// Only the guilty are punished (PROTOCOL.md 6.2): when a worker dies, the tasks it had started
// (STARTED) count a death toward the delivery limit; the ones it only held go back without
// one. A draining worker (DRAIN) gets nothing more and hands back what it had not started.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

broker_config one_death_limit() {
    auto c = harness_config();
    c.max_attempts = 1;  // a single death of a started task sets it aside
    return c;
}

std::vector<proto::submitted_task> tasks(std::uint32_t n) {
    std::vector<proto::submitted_task> out;
    for (std::uint32_t i = 1; i <= n; ++i) out.push_back(task(i));
    return out;
}

TEST(BrokerDeaths, AWorkerDeathCountsOnlyAgainstTheTaskItStarted) {
    broker_harness h(one_death_limit());
    h.hello_client("c");
    h.hello_client("ops");
    h.hello_worker("doomed", {"add"}, 1, 50);
    h.send("doomed", proto::ready{51});
    h.send("c", proto::submit{tasks(51), {}});
    h.take<proto::accepted>("c");
    std::vector<proto::dispatched_task> held;
    while (h.has_mail("doomed")) {
        auto d = h.take<proto::dispatch>("doomed");
        held.insert(held.end(), d.tasks.begin(), d.tasks.end());
    }
    ASSERT_EQ(held.size(), 51u);
    h.send("doomed", proto::started{{{held[0].id, held[0].attempt}}});  // runs one; 50 wait
    h.silence("doomed");
    h.advance(1.0);
    ASSERT_EQ(h.stats().workers_dead, 1u);
    EXPECT_EQ(h.stats().dead_lettered, 1u);
    EXPECT_EQ(h.stats().deaths_spared, 50u);
    h.send("ops", proto::inspect{"dead"});
    const auto dead = h.take<proto::report>("ops");
    ASSERT_EQ(dead.rows.size(), 1u);
    EXPECT_EQ(str_field(dead.rows[0], "task"), held[0].id.to_hex());
    EXPECT_EQ(int_field(dead.rows[0], "deaths"), 1);
    // The fifty innocent ones run elsewhere, as a new attempt.
    h.hello_worker("next", {"add"}, 50);
    h.send("next", proto::ready{50});
    std::size_t again = 0;
    while (h.has_mail("next")) {
        for (const auto& t : h.take<proto::dispatch>("next").tasks) {
            EXPECT_NE(t.id, held[0].id);
            EXPECT_EQ(t.attempt, 2u);
            ++again;
        }
    }
    EXPECT_EQ(again, 50u);
}

TEST(BrokerDeaths, WithoutAnyStartedHeardTheEarliestSentIsPresumedStarted) {
    // A task that kills its worker at once may take the STARTED with it: the earliest task the
    // worker was sent (it starts them in order) pays, up to its slots; the rest do not.
    broker_harness h(one_death_limit());
    h.hello_client("c");
    h.hello_worker("doomed", {"add"}, 1, 3);
    h.send("doomed", proto::ready{4});
    h.send("c", proto::submit{tasks(4), {}});
    h.take<proto::accepted>("c");
    const auto d = h.take<proto::dispatch>("doomed");
    ASSERT_EQ(d.tasks.size(), 4u);
    h.silence("doomed");
    h.advance(1.0);
    EXPECT_EQ(h.stats().dead_lettered, 1u);
    EXPECT_EQ(h.stats().deaths_spared, 3u);
    const auto told = h.results("c");
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].id, d.tasks[0].id);
    EXPECT_EQ(told[0].error.type, "dead_letter");
}

TEST(BrokerDeaths, APoisonTaskReachesTheLimitWhileTheTasksBesideItNeverDo) {
    auto c = harness_config();
    c.max_attempts = 3;
    broker_harness h(c);
    h.hello_client("c");
    auto poison = task(1);
    std::vector<proto::submitted_task> all{poison};
    for (std::uint32_t i = 2; i <= 6; ++i) all.push_back(task(i));
    h.send("c", proto::submit{all, {}});
    h.take<proto::accepted>("c");
    for (int round = 0; round < 3; ++round) {
        const std::string w = "w" + std::to_string(round);
        h.hello_worker(w, {"add"}, 1, 5);
        h.send(w, proto::ready{6});
        std::vector<proto::dispatched_task> held;
        while (h.has_mail(w)) {
            auto d = h.take<proto::dispatch>(w);
            held.insert(held.end(), d.tasks.begin(), d.tasks.end());
        }
        ASSERT_FALSE(held.empty());
        ASSERT_EQ(held[0].id, id_of(1)) << "the poison task comes back first in its lane";
        h.send(w, proto::started{{{held[0].id, held[0].attempt}}});
        h.silence(w);
        h.advance(1.0);
    }
    EXPECT_EQ(h.stats().dead_lettered, 1u);
    EXPECT_EQ(h.stats().workers_dead, 3u);
    h.hello_worker("healthy", {"add"}, 5);
    h.send("healthy", proto::ready{5});
    const auto d = h.take<proto::dispatch>("healthy");
    EXPECT_EQ(d.tasks.size(), 5u) << "the five beside it were never counted against";
}

TEST(BrokerDeaths, ADrainingWorkerGetsNothingMoreAndWhatItHandsBackRunsElsewhere) {
    broker_harness h;
    h.hello_client("c");
    h.hello_worker("leaving", {"add"}, 1, 3);
    h.send("leaving", proto::ready{4});
    h.send("c", proto::submit{tasks(4), {}});
    h.take<proto::accepted>("c");
    const auto d = h.take<proto::dispatch>("leaving");
    ASSERT_EQ(d.tasks.size(), 4u);
    h.send("leaving", proto::started{{{d.tasks[0].id, d.tasks[0].attempt}}});
    // It hands back the three it had not started; a STARTED one is not its to hand back.
    proto::drain drain;
    for (const auto& t : d.tasks) drain.returned.push_back({t.id, t.attempt});
    h.send("leaving", drain);
    EXPECT_EQ(h.stats().tasks_returned, 3u);
    h.send("leaving", proto::ready{10});  // its credit is void for good
    h.send("c", proto::submit{{task(9)}, {}});
    h.take<proto::accepted>("c");
    EXPECT_FALSE(h.has_mail("leaving")) << "a draining worker was sent a task";
    h.hello_worker("next", {"add"}, 10);
    h.send("next", proto::ready{10});
    std::size_t n = 0;
    while (h.has_mail("next")) {
        for (const auto& t : h.take<proto::dispatch>("next").tasks) {
            EXPECT_NE(t.id, d.tasks[0].id);
            ++n;
        }
    }
    EXPECT_EQ(n, 4u);  // the three handed back and the new one
    // The one it runs still counts when it reports it.
    h.send("leaving",
           proto::done{
               {{{d.tasks[0].id, proto::task_status::ok, "\x01", {}}, d.tasks[0].attempt, {}}}, 0});
    const auto told = h.results("c");
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].id, d.tasks[0].id);
}

}  // namespace
