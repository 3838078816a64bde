#include "shoal/common/detail/timer_queue.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::detail::timer_entry;
using shoal::detail::timer_queue;

std::vector<std::uint32_t> drain_slots(timer_queue& q) {
    std::vector<std::uint32_t> out;
    while (!q.empty()) out.push_back(q.pop().slot);
    return out;
}

TEST(TimerQueue, InOrderDeadlinesComeOutInOrder) {
    timer_queue q;
    for (std::uint32_t i = 0; i < 5; ++i) q.push(timer_entry{1.0 + i, i, i, 0});
    EXPECT_EQ(drain_slots(q), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

TEST(TimerQueue, EarlierDeadlineAfterLaterOnesStillComesFirst) {
    timer_queue q;
    q.push(timer_entry{5.0, 0, 50, 0});
    q.push(timer_entry{6.0, 1, 60, 0});
    q.push(timer_entry{1.0, 2, 10, 0});  // goes to the heap lane
    q.push(timer_entry{5.5, 3, 55, 0});
    q.push(timer_entry{7.0, 4, 70, 0});
    EXPECT_EQ(q.top().slot, 10u);
    EXPECT_EQ(drain_slots(q), (std::vector<std::uint32_t>{10, 50, 55, 60, 70}));
}

TEST(TimerQueue, EqualDeadlinesKeepSchedulingOrderAcrossLanes) {
    timer_queue q;
    q.push(timer_entry{2.0, 0, 0, 0});
    q.push(timer_entry{1.0, 1, 1, 0});  // heap
    q.push(timer_entry{2.0, 2, 2, 0});
    q.push(timer_entry{1.0, 3, 3, 0});  // heap
    EXPECT_EQ(drain_slots(q), (std::vector<std::uint32_t>{1, 3, 0, 2}));
}

TEST(TimerQueue, EraseIfDropsEntriesFromBothLanesAndKeepsOrder) {
    timer_queue q;
    for (std::uint32_t i = 0; i < 10; ++i) q.push(timer_entry{10.0 - i, i, i, 0});
    q.erase_if([](const timer_entry& e) { return e.slot % 2 == 0; });
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(drain_slots(q), (std::vector<std::uint32_t>{9, 7, 5, 3, 1}));
}

}  // namespace
