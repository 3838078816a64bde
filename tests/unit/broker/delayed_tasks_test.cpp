#include "delayed_tasks.hpp"

#include <cstdint>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace shoal::broker;

// A task named by its first id byte; its seq is the same number unless given.
queued_task make(std::uint8_t n, std::uint64_t seq = 0) {
    queued_task t;
    t.id.bytes[0] = n;
    t.seq = seq != 0 ? seq : n;
    return t;
}

// What a release gave, in the order it gave it.
struct released {
    lane_id lane;
    queued_task task;
};

std::vector<released> release(delayed_tasks& d, double now) {
    std::vector<released> out;
    const std::size_t n = d.release_due(now, [&](lane_id lane, queued_task&& t) {
        out.push_back({lane, std::move(t)});
    });
    EXPECT_EQ(n, out.size()) << "release_due's count differs from the tasks it gave";
    return out;
}

std::vector<std::uint8_t> names_of(const std::vector<released>& r) {
    std::vector<std::uint8_t> names;
    for (const released& x : r) names.push_back(x.task.id.bytes[0]);
    return names;
}

TEST(DelayedTasks, AnEmptyHoldHasNoNextDueAndReleasesNothing) {
    delayed_tasks d;
    EXPECT_EQ(d.size(), 0u);
    EXPECT_FALSE(d.next_due().has_value());
    EXPECT_TRUE(release(d, 1e9).empty());
}

TEST(DelayedTasks, NextDueIsTheEarliestDueTimeWhateverTheOrderOfAdding) {
    delayed_tasks d;
    d.add(30.0, 0, make(1));
    EXPECT_EQ(d.next_due(), 30.0);
    d.add(10.0, 0, make(2));
    EXPECT_EQ(d.next_due(), 10.0);
    d.add(20.0, 0, make(3));
    EXPECT_EQ(d.next_due(), 10.0);
    EXPECT_EQ(d.size(), 3u);
}

TEST(DelayedTasks, ATaskIsHeldUntilItsDueTime) {
    delayed_tasks d;
    d.add(10.0, 0, make(1));
    EXPECT_TRUE(release(d, 9.999).empty());
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.next_due(), 10.0);
}

TEST(DelayedTasks, ATaskIsReleasedAtExactlyItsDueTime) {
    delayed_tasks d;
    d.add(10.0, 0, make(1));
    EXPECT_EQ(names_of(release(d, 10.0)), std::vector<std::uint8_t>{1});
    EXPECT_EQ(d.size(), 0u);
    EXPECT_FALSE(d.next_due().has_value());
}

TEST(DelayedTasks, ATaskDueLaterThanAnotherIsReleasedAfterIt) {
    delayed_tasks d;
    d.add(20.0, 0, make(1));
    d.add(10.0, 0, make(2));
    d.add(15.0, 0, make(3));
    EXPECT_EQ(names_of(release(d, 25.0)), (std::vector<std::uint8_t>{2, 3, 1}));
}

TEST(DelayedTasks, OnlyTheTasksDueAreReleasedAndTheRestWaitForTheirTime) {
    delayed_tasks d;
    d.add(10.0, 0, make(1));
    d.add(30.0, 0, make(3));
    d.add(20.0, 0, make(2));
    EXPECT_EQ(names_of(release(d, 20.0)), (std::vector<std::uint8_t>{1, 2}));
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.next_due(), 30.0);
    EXPECT_TRUE(release(d, 29.0).empty());
    EXPECT_EQ(names_of(release(d, 30.0)), std::vector<std::uint8_t>{3});
}

TEST(DelayedTasks, TasksDueAtTheSameTimeAreReleasedInTheOrderTheyWereAdded) {
    delayed_tasks d;
    // Ties interleaved with other due times, so that the heap reorders its items between them.
    d.add(10.0, 0, make(1));
    d.add(5.0, 0, make(20));
    d.add(10.0, 0, make(2));
    d.add(15.0, 0, make(30));
    d.add(10.0, 0, make(3));
    d.add(1.0, 0, make(10));
    d.add(10.0, 0, make(4));
    d.add(10.0, 0, make(5));
    EXPECT_EQ(names_of(release(d, 100.0)), (std::vector<std::uint8_t>{10, 20, 1, 2, 3, 4, 5, 30}));
}

TEST(DelayedTasks, AReleasedTaskKeepsItsLaneAndItsWholeRecord) {
    delayed_tasks d;
    queued_task t = make(7, 42);
    t.attempt = 3;
    t.retries = 2;
    t.deaths = 1;
    t.extras = std::make_unique<task_extras>();
    t.extras->time_limit_ms = 500;
    d.add(10.0, 9, std::move(t));

    const std::vector<released> r = release(d, 10.0);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].lane, 9u);
    EXPECT_EQ(r[0].task.id, make(7).id);
    EXPECT_EQ(r[0].task.seq, 42u);  // it joins its lane in submission order
    EXPECT_EQ(r[0].task.attempt, 3u);
    EXPECT_EQ(r[0].task.retries, 2u);
    EXPECT_EQ(r[0].task.deaths, 1u);
    ASSERT_NE(r[0].task.extras, nullptr);
    EXPECT_EQ(r[0].task.extras->time_limit_ms, 500u);
}

TEST(DelayedTasks, TasksOfDifferentLanesAreReleasedEachToItsOwnLane) {
    delayed_tasks d;
    d.add(1.0, 4, make(1));
    d.add(2.0, 8, make(2));
    const std::vector<released> r = release(d, 2.0);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].lane, 4u);
    EXPECT_EQ(r[1].lane, 8u);
}

TEST(DelayedTasks, ForEachVisitsEveryHeldTaskWithItsDueTimeAndLane) {
    delayed_tasks d;
    d.add(30.0, 3, make(1));
    d.add(10.0, 1, make(2));
    d.add(20.0, 2, make(3));
    std::set<std::tuple<double, lane_id, std::uint8_t>> seen;
    d.for_each([&](double due, lane_id lane, const queued_task& t) {
        seen.emplace(due, lane, t.id.bytes[0]);
    });
    const std::set<std::tuple<double, lane_id, std::uint8_t>> expected{
        {30.0, 3, 1}, {10.0, 1, 2}, {20.0, 2, 3}};
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(d.size(), 3u) << "for_each must not release anything";
}

TEST(DelayedTasks, ManyTasksAreReleasedInDueOrderThenArrivalOrderAcrossSeveralReleases) {
    delayed_tasks d;
    constexpr int count = 500;
    std::vector<double> due_of(count);
    std::uint64_t x = 12345;  // a fixed LCG: the same shuffle every run
    for (int i = 0; i < count; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        due_of[i] = static_cast<double>((x >> 33) % 50);  // few distinct times: many ties
        d.add(due_of[i], 0, make(0, static_cast<std::uint64_t>(i) + 1));
    }
    std::vector<std::uint64_t> order;  // seq - 1 = the index it was added at
    for (double now = -1.0; now <= 50.0; now += 7.0) {
        for (released& r : release(d, now)) {
            const std::uint64_t i = r.task.seq - 1;
            EXPECT_LE(due_of[i], now) << "released before its time";
            order.push_back(i);
        }
    }
    for (released& r : release(d, 50.0)) order.push_back(r.task.seq - 1);
    ASSERT_EQ(order.size(), static_cast<std::size_t>(count));
    EXPECT_EQ(d.size(), 0u);
    for (std::size_t k = 1; k < order.size(); ++k) {
        const double a = due_of[order[k - 1]];
        const double b = due_of[order[k]];
        ASSERT_TRUE(a < b || (a == b && order[k - 1] < order[k]))
            << "position " << k << ": task " << order[k - 1] << " (due " << a << ") before task "
            << order[k] << " (due " << b << ")";
    }
}

}  // namespace
