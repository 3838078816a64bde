#include "inflight_table.hpp"

#include <gtest/gtest.h>

namespace {

using namespace shoal::broker;

queued_task make(std::uint8_t n, std::uint64_t seq, std::uint32_t attempt = 1) {
    queued_task t;
    t.id.bytes[0] = n;
    t.seq = seq;
    t.attempt = attempt;
    return t;
}

const peer_ref w1{0, 1};
const peer_ref w2{1, 1};

TEST(InflightTable, DoneWithTheCurrentAttemptCounts) {
    inflight_table t;
    t.add(w1, 7, make(1, 1));
    inflight_task taken;
    EXPECT_EQ(t.take_done(make(1, 1).id, 1, taken), done_verdict::current);
    EXPECT_EQ(taken.lane, 7u);
    EXPECT_EQ(taken.worker, w1);
    EXPECT_EQ(taken.task.seq, 1u);
    EXPECT_EQ(t.size(), 0u);
}

TEST(InflightTable, DoneForAnotherAttemptIsLateAndKeepsTheEntry) {
    inflight_table t;
    t.add(w2, 0, make(1, 1, 2));  // re-dispatched as attempt 2
    inflight_task taken;
    EXPECT_EQ(t.take_done(make(1, 1).id, 1, taken), done_verdict::late);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.take_done(make(1, 1).id, 2, taken), done_verdict::current);
}

TEST(InflightTable, DoneForATaskNotInFlightIsLate) {
    inflight_table t;
    inflight_task taken;
    EXPECT_EQ(t.take_done(make(9, 9).id, 1, taken), done_verdict::late);
}

TEST(InflightTable, DoneForARevokedTaskIsIgnoredButReleasesIt) {
    inflight_table t;
    t.add(w1, 0, make(1, 1)).revoked = true;
    inflight_task taken;
    EXPECT_EQ(t.take_done(make(1, 1).id, 1, taken), done_verdict::revoked);
    EXPECT_EQ(t.size(), 0u);
}

TEST(InflightTable, TakeAllOfAWorkerReturnsItsTasksHighestSeqFirst) {
    inflight_table t;
    t.add(w1, 0, make(1, 10));
    t.add(w2, 0, make(2, 11));
    t.add(w1, 0, make(3, 30));
    t.add(w1, 0, make(4, 20));
    const auto mine = t.take_all_of(w1);
    ASSERT_EQ(mine.size(), 3u);
    EXPECT_EQ(mine[0].task.seq, 30u);
    EXPECT_EQ(mine[1].task.seq, 20u);
    EXPECT_EQ(mine[2].task.seq, 10u);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_NE(t.find(make(2, 11).id), nullptr);
}

}  // namespace
