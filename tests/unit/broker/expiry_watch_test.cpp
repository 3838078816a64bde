#include "expiry_watch.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "task_ids.hpp"

namespace {

using namespace shoal::broker;
using shoal::proto::task_id;
using shoal::testing::id_of;

std::vector<expiry_watch::entry> take(expiry_watch& w, double now) {
    std::vector<expiry_watch::entry> out;
    const std::size_t n = w.take_due(now, [&](const expiry_watch::entry& e) { out.push_back(e); });
    EXPECT_EQ(n, out.size()) << "take_due's count differs from the entries it gave";
    return out;
}

std::vector<std::uint64_t> seqs_of(const std::vector<expiry_watch::entry>& es) {
    std::vector<std::uint64_t> seqs;
    for (const expiry_watch::entry& e : es) seqs.push_back(e.seq);
    return seqs;
}

TEST(ExpiryWatch, AnEmptyWatchHasNoNextTimeAndTakesNothing) {
    expiry_watch w;
    EXPECT_EQ(w.size(), 0u);
    EXPECT_FALSE(w.next_at().has_value());
    EXPECT_TRUE(take(w, 1e9).empty());
}

TEST(ExpiryWatch, NextAtIsTheEarliestTimeWhateverTheOrderOfAdding) {
    expiry_watch w;
    w.add(30.0, id_of(1), 1);
    EXPECT_EQ(w.next_at(), 30.0);
    w.add(10.0, id_of(2), 2);
    EXPECT_EQ(w.next_at(), 10.0);
    w.add(20.0, id_of(3), 3);
    EXPECT_EQ(w.next_at(), 10.0);
    EXPECT_EQ(w.size(), 3u);
}

TEST(ExpiryWatch, AnEntryIsNotTakenBeforeItsTime) {
    expiry_watch w;
    w.add(10.0, id_of(1), 1);
    EXPECT_TRUE(take(w, 9.999).empty());
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(w.next_at(), 10.0);
}

TEST(ExpiryWatch, AnEntryIsTakenAtExactlyItsTime) {
    expiry_watch w;
    w.add(10.0, id_of(1), 1);
    EXPECT_EQ(seqs_of(take(w, 10.0)), std::vector<std::uint64_t>{1});
    EXPECT_EQ(w.size(), 0u);
}

TEST(ExpiryWatch, ATakenEntryNamesItsTaskItsSeqAndItsTime) {
    expiry_watch w;
    task_id id = task_id::random();
    w.add(12.5, id, 77);
    const std::vector<expiry_watch::entry> es = take(w, 20.0);
    ASSERT_EQ(es.size(), 1u);
    EXPECT_EQ(es[0].id, id);
    EXPECT_EQ(es[0].seq, 77u);
    EXPECT_EQ(es[0].at, 12.5);
}

TEST(ExpiryWatch, DueEntriesAreTakenEarliestFirstAndTheLaterOnesStay) {
    expiry_watch w;
    w.add(40.0, id_of(4), 4);
    w.add(20.0, id_of(2), 2);
    w.add(10.0, id_of(1), 1);
    w.add(30.0, id_of(3), 3);
    EXPECT_EQ(seqs_of(take(w, 30.0)), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(w.next_at(), 40.0);
}

TEST(ExpiryWatch, TakenEntriesAreRemovedSoASecondTakeGivesNothing) {
    expiry_watch w;
    w.add(10.0, id_of(1), 1);
    w.add(11.0, id_of(2), 2);
    EXPECT_EQ(take(w, 20.0).size(), 2u);
    EXPECT_TRUE(take(w, 20.0).empty());
    EXPECT_FALSE(w.next_at().has_value());
}

TEST(ExpiryWatch, ATaskSubmittedAnewIsWatchedAgainUnderItsNewSeq) {
    // The watch does not dedup: each submission has its entry, and the caller tells a stale
    // one by its seq.
    expiry_watch w;
    w.add(10.0, id_of(1), 5);
    w.add(20.0, id_of(1), 9);
    EXPECT_EQ(w.size(), 2u);
    const std::vector<expiry_watch::entry> first = take(w, 15.0);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].seq, 5u);
    const std::vector<expiry_watch::entry> second = take(w, 20.0);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].id, id_of(1));
    EXPECT_EQ(second[0].seq, 9u);
}

TEST(ExpiryWatch, ManyEntriesAreTakenInTimeOrderAcrossSeveralTakes) {
    expiry_watch w;
    constexpr int count = 500;
    std::uint64_t x = 987654321;  // a fixed LCG: the same shuffle every run
    for (int i = 0; i < count; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        w.add(static_cast<double>((x >> 33) % 1000) / 10.0, id_of(0),
              static_cast<std::uint64_t>(i));
    }
    double last = -1.0;
    std::size_t taken = 0;
    for (double now = 0.0; now <= 100.0; now += 3.3) {
        for (const expiry_watch::entry& e : take(w, now)) {
            EXPECT_LE(e.at, now) << "taken before its time";
            EXPECT_GE(e.at, last) << "taken out of time order";
            last = e.at;
            ++taken;
        }
    }
    taken += take(w, 100.0).size();
    EXPECT_EQ(taken, static_cast<std::size_t>(count));
    EXPECT_EQ(w.size(), 0u);
}

}  // namespace
