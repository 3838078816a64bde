#include "task_queues.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace shoal::broker;

queued_task make(std::uint8_t n, std::uint64_t seq) {
    queued_task t;
    t.id.bytes[0] = n;
    t.seq = seq;
    return t;
}

struct taken {
    lane_id lane;
    std::uint8_t id;
};

std::vector<taken> take(task_queues& q, std::vector<lane_id> lanes, std::size_t max,
                        const std::vector<std::uint8_t>& dead = {}) {
    std::vector<taken> out;
    q.take_oldest(
        lanes, max,
        [&](const queued_task& t) {
            return std::find(dead.begin(), dead.end(), t.id.bytes[0]) == dead.end();
        },
        [&](lane_id l, queued_task& t) {
            out.push_back({l, t.id.bytes[0]});
            return task_queues::take_result::taken;
        });
    return out;
}

TEST(TaskQueues, OneLanePerQueueAndName) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("default", "mul");
    const lane_id c = q.lane_for("cpu", "add");
    EXPECT_NE(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(q.lane_for("default", "add"), a);
    const name_id add = *q.task_names().find("add");
    EXPECT_EQ(q.lanes_of_name(add).size(), 2u);
    EXPECT_EQ(q.lanes_of_queue(*q.queue_names().find("default")).size(), 2u);
    EXPECT_TRUE(q.lanes_of_name(999).empty());
}

TEST(TaskQueues, TakesOldestFirstAcrossLanes) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("default", "mul");
    q.push_back(a, make(1, 1));
    q.push_back(b, make(2, 2));
    q.push_back(a, make(3, 3));
    q.push_back(b, make(4, 4));
    const auto got = take(q, {a, b}, 10);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].id, 1);
    EXPECT_EQ(got[1].id, 2);
    EXPECT_EQ(got[2].id, 3);
    EXPECT_EQ(got[3].id, 4);
    EXPECT_EQ(q.live_total(), 0u);
}

TEST(TaskQueues, ReadsOnlyTheLanesGivenSoOtherNamesDoNotBlock) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("default", "mul");
    q.push_back(b, make(1, 1));  // nobody here runs mul: it must not hold add back
    q.push_back(a, make(2, 2));
    const auto got = take(q, {a}, 10);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, 2);
    EXPECT_EQ(q.live_total(), 1u);
}

TEST(TaskQueues, TakesAtMostMaxAndStopsWhenTheSinkSaysSo) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    for (std::uint8_t i = 1; i <= 5; ++i) q.push_back(a, make(i, i));
    EXPECT_EQ(take(q, {a}, 2).size(), 2u);
    EXPECT_EQ(q.live_total(), 3u);
    std::vector<lane_id> lanes{a};
    const std::size_t n = q.take_oldest(
        lanes, 10, [](const queued_task&) { return true; },
        [](lane_id, queued_task& t) {
            return t.id.bytes[0] != 4 ? task_queues::take_result::taken
                                      : task_queues::take_result::stop;
        });
    EXPECT_EQ(n, 1u);  // 3 taken, 4 refused and left at the head
    EXPECT_EQ(q.at(a).tasks.front().id.bytes[0], 4);
}

TEST(TaskQueues, ASkippedLaneIsPassedOverAndTheOthersStillGive) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("default", "mul");
    q.push_back(a, make(1, 1));
    q.push_back(a, make(2, 2));
    q.push_back(b, make(3, 3));
    std::vector<lane_id> lanes{a, b};
    std::vector<std::uint8_t> got;
    const std::size_t n = q.take_oldest(
        lanes, 10, [](const queued_task&) { return true; },
        [&](lane_id l, queued_task& t) {
            if (l == a) return task_queues::take_result::skip_lane;
            got.push_back(t.id.bytes[0]);
            return task_queues::take_result::taken;
        });
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(got, std::vector<std::uint8_t>{3});
    EXPECT_EQ(q.at(a).tasks.size(), 2u);  // untouched
}

TEST(TaskQueues, EachPriorityHasItsLaneAndHigherGoesFirst) {
    task_queues q;
    const lane_id low = q.lane_for("default", "add", 0);
    const lane_id high = q.lane_for("default", "add", 9);
    const lane_id clamped = q.lane_for("default", "add", 42);  // above 9: 9
    EXPECT_NE(low, high);
    EXPECT_EQ(high, clamped);
    q.push_back(low, make(1, 1));
    q.push_back(high, make(2, 2));
    const auto out = take(q, {low, high}, 2);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 2);
    EXPECT_EQ(out[1].id, 1);
}

TEST(TaskQueues, PushFrontPutsReQueuedTasksFirst) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    q.push_back(a, make(5, 5));
    q.push_front(a, make(2, 2));
    q.push_front(a, make(1, 1));
    const auto got = take(q, {a}, 10);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].id, 1);
    EXPECT_EQ(got[1].id, 2);
    EXPECT_EQ(got[2].id, 5);
}

TEST(TaskQueues, StaleTasksAreSkippedAndNotCounted) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    for (std::uint8_t i = 1; i <= 3; ++i) q.push_back(a, make(i, i));
    q.mark_stale(a);  // task 2 revoked
    EXPECT_EQ(q.live_total(), 2u);
    EXPECT_EQ(q.live_in_queue(*q.queue_names().find("default")), 2u);
    const auto got = take(q, {a}, 10, {2});
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].id, 1);
    EXPECT_EQ(got[1].id, 3);
    EXPECT_EQ(q.live_total(), 0u);
    EXPECT_EQ(q.at(a).stale, 0u);
}

// A stale record at the head of a lane does not rank the lane: the live task behind it does.
// (Found by the model test, seed 2: a task held by its countdown joined its lane behind a
// younger task, which then expired; the lane was ranked by the expired task's seq, and a
// younger task of another lane went first.)
TEST(TaskQueues, AStaleHeadDoesNotRankItsLane) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("q1", "add");
    q.push_back(a, make(15, 15));  // younger, queued first
    q.push_back(a, make(9, 9));    // older, joined the lane later (a countdown)
    q.push_back(b, make(10, 10));
    q.mark_stale(a);  // task 15 expired
    const auto got = take(q, {a, b}, 10, {15});
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].id, 9);
    EXPECT_EQ(got[1].id, 10);
}

TEST(TaskQueues, StaleCountNeverExceedsTheLane) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    q.push_back(a, make(1, 1));
    q.mark_stale(a);
    q.mark_stale(a);  // a miscount must not wrap live() around
    EXPECT_EQ(q.at(a).live(), 0u);
    EXPECT_EQ(q.live_total(), 0u);
}

TEST(TaskQueues, DrainQueueEmptiesEveryLaneOfThatQueueOnly) {
    task_queues q;
    const lane_id a = q.lane_for("default", "add");
    const lane_id b = q.lane_for("default", "mul");
    const lane_id c = q.lane_for("other", "add");
    q.push_back(a, make(1, 1));
    q.push_back(b, make(2, 2));
    q.push_back(b, make(3, 3));
    q.push_back(c, make(4, 4));
    q.mark_stale(b);  // 3 was revoked: not counted as purged
    std::vector<std::uint8_t> drained;
    const std::size_t n = q.drain_queue(
        *q.queue_names().find("default"), [](const queued_task& t) { return t.id.bytes[0] != 3; },
        [&](lane_id, queued_task&& t) { drained.push_back(t.id.bytes[0]); });
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(drained, (std::vector<std::uint8_t>{1, 2}));
    EXPECT_EQ(q.live_total(), 1u);
    EXPECT_EQ(q.live_in_queue(*q.queue_names().find("other")), 1u);
}

TEST(TaskQueues, QueuedRecordIsCompact) {
    // The memory budget (README): a queued task costs its record plus the store's node.
    EXPECT_LE(sizeof(queued_task), 72u);
}

}  // namespace
