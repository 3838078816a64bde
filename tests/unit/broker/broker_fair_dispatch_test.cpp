// How one dispatch pass shares a burst out among the workers with credit (PROTOCOL.md section
// 6, Worker): each gets at most its fair share of the tasks it can take, so that with a deep
// prefetch one worker no longer takes a whole batch while another idles (issue 17: METG
// needed --prefetch 1). Through the broker harness, on a manual clock.

#include <set>

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;
using shoal::testing::number_of;

proto::submit burst(std::uint32_t first, std::uint32_t count, const std::string& name = "add") {
    proto::submit s;
    for (std::uint32_t i = first; i < first + count; ++i) s.tasks.push_back(task(i, name));
    return s;
}

// Everything `identity` was sent in DISPATCHes, and how many DISPATCHes it took.
struct dispatched {
    std::vector<proto::dispatched_task> tasks;
    std::size_t messages = 0;
};
dispatched all_dispatched(broker_harness& h, std::string_view identity) {
    dispatched out;
    for (auto& d : h.take_all<proto::dispatch>(identity)) {
        ++out.messages;
        for (auto& t : d.tasks) out.tasks.push_back(std::move(t));
    }
    return out;
}

// A worker that said HELLO with these slots and prefetch, then READY with all its credit.
void ready_worker(broker_harness& h, const std::string& identity, std::vector<std::string> names,
                  std::uint32_t slots, std::uint32_t prefetch) {
    h.hello_worker(identity, std::move(names), slots, prefetch);
    h.send(identity, proto::ready{slots + prefetch});
}

TEST(BrokerFairDispatch, ABurstIsSpreadEvenlyOverTheWorkersThatCanTakeIt) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "a", {"add"}, 1, 8);
    ready_worker(h, "b", {"add"}, 1, 8);
    h.send("c", burst(1, 10));
    const auto a = all_dispatched(h, "a");
    const auto b = all_dispatched(h, "b");
    // Filling the first worker up to its credit gave 9 and 1.
    EXPECT_EQ(a.tasks.size(), 5u);
    EXPECT_EQ(b.tasks.size(), 5u);
    // Still one DISPATCH per worker for the pass, and every task exactly once.
    EXPECT_EQ(a.messages, 1u);
    EXPECT_EQ(b.messages, 1u);
    std::set<std::uint64_t> ids;
    for (const auto* w : {&a, &b}) {
        for (const auto& t : w->tasks) ids.insert(number_of(t.id));
    }
    EXPECT_EQ(ids.size(), 10u);
}

TEST(BrokerFairDispatch, ALoneWorkerStillGetsAllItsCreditAllows) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "w", {"add"}, 1, 8);
    h.send("c", burst(1, 10));
    const auto d = all_dispatched(h, "w");
    EXPECT_EQ(d.messages, 1u);
    ASSERT_EQ(d.tasks.size(), 9u);
    // The tenth follows the first token back.
    h.send("w", done_of({d.tasks[0]}, 1));
    const auto more = all_dispatched(h, "w");
    ASSERT_EQ(more.tasks.size(), 1u);
    EXPECT_EQ(more.tasks[0].id, id_of(10));
}

// A worker's share is of the tasks it can take, counted per lane among the workers that read
// it: another worker with credit that offers other names does not halve it.
TEST(BrokerFairDispatch, TasksOnlyOneWorkerCanTakeAllGoToIt) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "adder", {"add"}, 1, 8);
    ready_worker(h, "multiplier", {"mul"}, 1, 8);
    h.send("c", burst(1, 10));
    EXPECT_EQ(all_dispatched(h, "adder").tasks.size(), 9u);
    EXPECT_FALSE(h.has_mail("multiplier"));
}

// Of two lanes, each is shared among the workers that read it: the worker that alone takes
// `mul` gets all of them beside its share of `add`.
TEST(BrokerFairDispatch, EachLaneIsSharedAmongItsOwnReaders) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "both", {"add", "mul"}, 1, 8);
    ready_worker(h, "adder", {"add"}, 1, 8);
    proto::submit s = burst(1, 4);
    for (auto& t : burst(5, 4, "mul").tasks) s.tasks.push_back(std::move(t));
    h.send("c", s);
    const auto both = all_dispatched(h, "both");
    const auto adder = all_dispatched(h, "adder");
    EXPECT_EQ(both.tasks.size(), 6u);  // 2 of add, 4 of mul
    EXPECT_EQ(adder.tasks.size(), 2u);
    for (const auto& t : adder.tasks) EXPECT_EQ(t.name, "add");
}

// A worker with idle slots gets at least enough to fill them, even past an even split: its
// slots would otherwise idle while tasks wait at the broker for the other worker's tokens.
TEST(BrokerFairDispatch, AWorkerWithIdleSlotsGetsEnoughToFillThem) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "wide", {"add"}, 8, 0);
    ready_worker(h, "narrow", {"add"}, 1, 8);
    h.send("c", burst(1, 10));
    const auto wide = all_dispatched(h, "wide");
    const auto narrow = all_dispatched(h, "narrow");
    EXPECT_EQ(wide.tasks.size() + narrow.tasks.size(), 10u);
    EXPECT_GE(narrow.tasks.size(), 2u);  // at least the two beyond wide's eight slots
    EXPECT_LE(narrow.tasks.size(), 5u);  // at most its even share
}

// Tasks that come one at a time go round the workers, each pass starting after the worker
// served last.
TEST(BrokerFairDispatch, TasksComingOneAtATimeGoRoundTheWorkers) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "a", {"add"}, 1, 8);
    ready_worker(h, "b", {"add"}, 1, 8);
    ready_worker(h, "d", {"add"}, 1, 8);
    std::vector<std::string> order;
    for (std::uint32_t i = 1; i <= 6; ++i) {
        h.send("c", burst(i, 1));
        for (const char* w : {"a", "b", "d"}) {
            if (all_dispatched(h, w).tasks.size() == 1) order.emplace_back(w);
        }
    }
    ASSERT_EQ(order.size(), 6u);
    for (std::size_t i = 3; i < order.size(); ++i) EXPECT_EQ(order[i], order[i - 3]);
    EXPECT_EQ(std::set<std::string>(order.begin(), order.begin() + 3).size(), 3u);
}

// The batches of one pass take turns at the same lane, so their tasks interleave: those that
// could not be sent go back into the lane in submission order, not batch after batch.
TEST(BrokerFairDispatch, BatchesNotSentGoBackInSubmissionOrder) {
    broker_harness h;
    h.hello_client("c");
    ready_worker(h, "a", {"add"}, 1, 8);
    ready_worker(h, "b", {"add"}, 1, 8);
    h.port().refusing = {"a", "b"};
    h.send("c", burst(1, 6));
    EXPECT_FALSE(h.has_mail("a"));
    EXPECT_FALSE(h.has_mail("b"));
    h.port().refusing.clear();
    h.send("a", proto::ready{0});  // a wake-up: the retry
    const auto a = all_dispatched(h, "a");
    const auto b = all_dispatched(h, "b");
    ASSERT_EQ(a.tasks.size(), 3u);
    ASSERT_EQ(b.tasks.size(), 3u);
    // Taken in turns from 1..6 again: 1, 3, 5 to one and 2, 4, 6 to the other.
    for (const auto* w : {&a, &b}) {
        const std::uint64_t first = number_of(w->tasks[0].id);
        EXPECT_TRUE(first == 1 || first == 2) << first;
        EXPECT_EQ(number_of(w->tasks[1].id), first + 2);
        EXPECT_EQ(number_of(w->tasks[2].id), first + 4);
    }
}

}  // namespace
