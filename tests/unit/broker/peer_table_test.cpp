#include "peer_table.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace shoal::broker;
using shoal::proto::peer_role;

constexpr peer_role client = peer_role::client;
constexpr peer_role worker = peer_role::worker;

std::vector<std::uint32_t> worker_slots_of(const peer_table& t) {
    const auto s = t.worker_slots();
    return {s.begin(), s.end()};
}

TEST(PeerTable, ANewSessionIsFoundByItsIdentityWithItsHelloAndTimes) {
    peer_table t;
    const peer_ref ref = t.add("id-w1", "worker one", worker, 12.5);
    peer_ref found_ref;
    peer* p = t.find("id-w1", &found_ref);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(found_ref, ref);
    EXPECT_EQ(p->identity, "id-w1");
    EXPECT_EQ(p->name, "worker one");
    EXPECT_EQ(p->role, worker);
    EXPECT_TRUE(p->in_use);
    EXPECT_EQ(p->since, 12.5);
    EXPECT_EQ(p->last_heard, 12.5);
    EXPECT_EQ(p->last_sent, 12.5);
    EXPECT_EQ(t.get(ref), p);
    EXPECT_EQ(t.size(), 1u);
}

TEST(PeerTable, AnUnknownIdentityIsNotFoundAndItsRefIsLeftAlone) {
    peer_table t;
    t.add("id-c1", "c", client, 0);
    peer_ref ref{5, 9};
    EXPECT_EQ(t.find("id-nobody", &ref), nullptr);
    EXPECT_EQ(ref, (peer_ref{5, 9}));
    EXPECT_EQ(t.find(""), nullptr);
}

TEST(PeerTable, ARefToASlotNeverUsedResolvesToNothing) {
    peer_table t;
    t.add("id-c1", "c", client, 0);
    EXPECT_EQ(t.get(peer_ref{}), nullptr);
    EXPECT_EQ(t.get(peer_ref{7, 1}), nullptr);
    EXPECT_TRUE(peer_ref{}.empty());
}

TEST(PeerTable, AfterRemoveTheSessionIsGoneByRefAndByIdentity) {
    peer_table t;
    const peer_ref ref = t.add("id-c1", "c", client, 0);
    t.remove(ref);
    EXPECT_EQ(t.get(ref), nullptr);
    EXPECT_EQ(t.find("id-c1"), nullptr);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.client_count(), 0u);
}

TEST(PeerTable, ARefToAnEndedSessionDoesNotResolveToTheNewSessionInItsSlot) {
    peer_table t;
    const peer_ref old_ref = t.add("id-a", "a", client, 0);
    t.remove(old_ref);
    const peer_ref new_ref = t.add("id-b", "b", worker, 1);
    EXPECT_EQ(new_ref.slot, old_ref.slot) << "the slot is reused";
    EXPECT_NE(new_ref.generation, old_ref.generation);
    EXPECT_EQ(t.get(old_ref), nullptr);
    ASSERT_NE(t.get(new_ref), nullptr);
    EXPECT_EQ(t.get(new_ref)->identity, "id-b");
    EXPECT_EQ(t.ref_of(new_ref.slot), new_ref);
}

TEST(PeerTable, RemovingThroughAStaleRefLeavesTheSlotsNewSessionAlone) {
    peer_table t;
    const peer_ref old_ref = t.add("id-a", "a", worker, 0);
    t.remove(old_ref);
    const peer_ref new_ref = t.add("id-b", "b", worker, 1);
    t.remove(old_ref);  // a second BYE for the ended session, say
    EXPECT_NE(t.get(new_ref), nullptr);
    EXPECT_NE(t.find("id-b"), nullptr);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.worker_count(), 1u);
}

TEST(PeerTable, ASessionStartedAgainForTheSameIdentityStartsFresh) {
    peer_table t;
    const peer_ref first = t.add("id-w", "w", worker, 0);
    peer& p = *t.get(first);
    p.worker.done = 5;
    p.sent_bytes = 1000;
    p.results_out.emplace_back();
    p.cancels_out.push_back(shoal::proto::task_id::random());
    p.flush_pending = true;
    t.remove(first);

    const peer_ref second = t.add("id-w", "w again", client, 3);
    const peer* q = t.get(second);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->name, "w again");
    EXPECT_EQ(q->role, client);
    EXPECT_EQ(q->since, 3.0);
    EXPECT_EQ(q->worker.done, 0u);
    EXPECT_EQ(q->sent_bytes, 0u);
    EXPECT_TRUE(q->results_out.empty());
    EXPECT_TRUE(q->cancels_out.empty());
    EXPECT_FALSE(q->flush_pending);
    EXPECT_EQ(t.get(first), nullptr);
}

TEST(PeerTable, ClientsAndWorkersAreCountedApart) {
    peer_table t;
    const peer_ref c1 = t.add("c1", "", client, 0);
    t.add("w1", "", worker, 0);
    t.add("c2", "", client, 0);
    const peer_ref w2 = t.add("w2", "", worker, 0);
    t.add("w3", "", worker, 0);
    EXPECT_EQ(t.size(), 5u);
    EXPECT_EQ(t.worker_count(), 3u);
    EXPECT_EQ(t.client_count(), 2u);
    t.remove(c1);
    t.remove(w2);
    EXPECT_EQ(t.size(), 3u);
    EXPECT_EQ(t.worker_count(), 2u);
    EXPECT_EQ(t.client_count(), 1u);
}

TEST(PeerTable, WorkerSlotsListTheRegisteredWorkersOldestFirst) {
    peer_table t;
    const peer_ref w1 = t.add("w1", "", worker, 0);
    t.add("c1", "", client, 0);
    const peer_ref w2 = t.add("w2", "", worker, 0);
    const peer_ref w3 = t.add("w3", "", worker, 0);
    EXPECT_EQ(worker_slots_of(t), (std::vector<std::uint32_t>{w1.slot, w2.slot, w3.slot}));

    t.remove(w2);
    EXPECT_EQ(worker_slots_of(t), (std::vector<std::uint32_t>{w1.slot, w3.slot}));

    // A newcomer is the youngest, even in an older session's slot.
    const peer_ref w4 = t.add("w4", "", worker, 0);
    EXPECT_EQ(worker_slots_of(t), (std::vector<std::uint32_t>{w1.slot, w3.slot, w4.slot}));
}

TEST(PeerTable, OffersCountTheRegisteredWorkersOfferingEachTaskName) {
    peer_table t;
    const peer_ref w1 = t.add("w1", "", worker, 0);
    t.set_offered(w1, {1, 2});
    const peer_ref w2 = t.add("w2", "", worker, 0);
    t.set_offered(w2, {2, 5});
    EXPECT_EQ(t.offers(1), 1u);
    EXPECT_EQ(t.offers(2), 2u);
    EXPECT_EQ(t.offers(5), 1u);
    EXPECT_EQ(t.offers(3), 0u);
    EXPECT_EQ(t.offers(1000), 0u) << "a name beyond every offer";
}

TEST(PeerTable, AWorkersOfferedNamesAreSortedWithoutDuplicates) {
    peer_table t;
    const peer_ref w = t.add("w", "", worker, 0);
    t.set_offered(w, {7, 3, 7, 1, 3});
    EXPECT_EQ(t.get(w)->worker.offered, (std::vector<name_id>{1, 3, 7}));
    EXPECT_EQ(t.offers(7), 1u) << "a name offered twice by one worker counts once";
    EXPECT_EQ(t.offers(3), 1u);
}

TEST(PeerTable, ARemovedWorkerNoLongerCountsAsOfferingItsNames) {
    peer_table t;
    const peer_ref w1 = t.add("w1", "", worker, 0);
    t.set_offered(w1, {1, 2});
    const peer_ref w2 = t.add("w2", "", worker, 0);
    t.set_offered(w2, {2});
    t.remove(w1);
    EXPECT_EQ(t.offers(1), 0u);
    EXPECT_EQ(t.offers(2), 1u);
    t.remove(w2);
    EXPECT_EQ(t.offers(2), 0u);
}

TEST(PeerTable, SettingOffersThroughAStaleRefChangesNothing) {
    peer_table t;
    const peer_ref w = t.add("w", "", worker, 0);
    t.remove(w);
    t.set_offered(w, {4});
    t.set_consumed(w, {"q"});
    EXPECT_EQ(t.offers(4), 0u);
}

TEST(PeerTable, AWorkersQueuesAreSortedWithoutDuplicates) {
    peer_table t;
    const peer_ref w = t.add("w", "", worker, 0);
    t.set_consumed(w, {"video", "audio", "video"});
    EXPECT_EQ(t.get(w)->worker.queues, (std::vector<std::string>{"audio", "video"}));
}

TEST(PeerTable, AWorkerThatNamesNoQueueConsumesTheDefaultQueue) {
    peer_table t;
    const peer_ref w = t.add("w", "", worker, 0);
    t.set_consumed(w, {});
    EXPECT_EQ(t.get(w)->worker.queues,
              (std::vector<std::string>{std::string(shoal::proto::default_queue)}));
}

TEST(PeerTable, ForEachVisitsEverySessionOnceWithItsRef) {
    peer_table t;
    t.add("a", "", client, 0);
    const peer_ref b = t.add("b", "", worker, 0);
    t.add("c", "", client, 0);
    t.remove(b);
    std::vector<std::string> seen;
    t.for_each([&](peer_ref ref, peer& p) {
        seen.push_back(p.identity);
        EXPECT_EQ(t.get(ref), &p);
    });
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "c"}));
}

TEST(PeerTable, ForEachMayRemoveTheSessionItIsGiven) {
    peer_table t;
    t.add("c1", "", client, 0);
    t.add("w1", "", worker, 0);
    t.add("c2", "", client, 0);
    t.add("w2", "", worker, 0);
    int visited = 0;
    t.for_each([&](peer_ref ref, peer& p) {
        ++visited;
        if (p.role == client) t.remove(ref);
    });
    EXPECT_EQ(visited, 4);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.client_count(), 0u);
    EXPECT_EQ(t.find("c1"), nullptr);
    EXPECT_EQ(t.find("c2"), nullptr);
    EXPECT_NE(t.find("w1"), nullptr);
    EXPECT_NE(t.find("w2"), nullptr);
}

TEST(PeerTable, PeersFoundBeforeMoreSessionsStartStayValid) {
    // Slots live in a deque: adding a session never moves a peer a caller holds.
    peer_table t;
    const peer_ref first = t.add("first", "", client, 0);
    peer* p = t.get(first);
    for (int i = 0; i < 1000; ++i) t.add("c" + std::to_string(i), "", client, 0);
    EXPECT_EQ(t.get(first), p);
    EXPECT_EQ(p->identity, "first");
}

TEST(PeerTable, UnackedIsWhatWasSentBeyondTheLastAcknowledgement) {
    peer p;
    p.sent_bytes = 1000;
    p.acked_bytes = 400;
    EXPECT_EQ(p.unacked(), 600u);
    p.acked_bytes = 1000;
    EXPECT_EQ(p.unacked(), 0u);
    p.acked_bytes = 5000;  // a peer acknowledging more than it was sent
    EXPECT_EQ(p.unacked(), 0u);
}

}  // namespace
