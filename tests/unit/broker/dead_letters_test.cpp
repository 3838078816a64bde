#include "dead_letters.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "task_ids.hpp"

namespace {

using namespace shoal::broker;
using shoal::testing::id_of;
using shoal::testing::number_of;

dead_letter letter(std::uint8_t n, std::string reason = "killed its worker", double at = 1.0,
                   lane_id lane = 0) {
    dead_letter d;
    d.lane = lane;
    d.task.id = id_of(n);
    d.task.seq = n;
    d.reason = std::move(reason);
    d.at = at;
    return d;
}

// The ids listed by for_each, in its order, by their id_of number.
std::vector<std::uint8_t> listed(const dead_letters& l) {
    std::vector<std::uint8_t> out;
    l.for_each([&](const dead_letter& d) {
        out.push_back(static_cast<std::uint8_t>(number_of(d.task.id)));
    });
    return out;
}

TEST(DeadLetters, ANewListHoldsNothing) {
    dead_letters l;
    EXPECT_EQ(l.size(), 0u);
    EXPECT_FALSE(l.contains(id_of(1)));
    EXPECT_FALSE(l.take(id_of(1)).has_value());
    EXPECT_TRUE(listed(l).empty());
}

TEST(DeadLetters, AnAddedLetterIsHeldAndFoundByItsTaskId) {
    dead_letters l;
    EXPECT_FALSE(l.add(letter(1)).has_value());
    EXPECT_EQ(l.size(), 1u);
    EXPECT_TRUE(l.contains(id_of(1)));
    EXPECT_FALSE(l.contains(id_of(2)));
}

TEST(DeadLetters, TakeGivesBackTheTaskItsLaneReasonAndTimeAndRemovesIt) {
    dead_letters l;
    dead_letter d = letter(1, "max_attempts 3 reached", 42.5, 6);
    d.task.attempt = 3;
    d.task.deaths = 3;
    d.task.extras = std::make_unique<task_extras>();
    d.task.extras->max_retries = 4;
    l.add(std::move(d));

    const std::optional<dead_letter> taken = l.take(id_of(1));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->task.id, id_of(1));
    EXPECT_EQ(taken->lane, 6u);
    EXPECT_EQ(taken->reason, "max_attempts 3 reached");
    EXPECT_EQ(taken->at, 42.5);
    EXPECT_EQ(taken->task.attempt, 3u);
    EXPECT_EQ(taken->task.deaths, 3u);
    ASSERT_NE(taken->task.extras, nullptr);  // so a retry runs with its options
    EXPECT_EQ(taken->task.extras->max_retries, 4u);

    EXPECT_EQ(l.size(), 0u);
    EXPECT_FALSE(l.contains(id_of(1)));
    EXPECT_FALSE(l.take(id_of(1)).has_value()) << "a letter is taken once";
}

TEST(DeadLetters, TakingAnUnknownIdChangesNothing) {
    dead_letters l;
    l.add(letter(1));
    l.add(letter(2));
    EXPECT_FALSE(l.take(id_of(3)).has_value());
    EXPECT_EQ(l.size(), 2u);
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{1, 2}));
}

TEST(DeadLetters, LettersAreListedOldestFirst) {
    dead_letters l;
    l.add(letter(3));
    l.add(letter(1));
    l.add(letter(2));
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{3, 1, 2}));
}

TEST(DeadLetters, TakingALetterFromTheMiddleLeavesTheOthersInTheirOrder) {
    dead_letters l;
    for (std::uint8_t n = 1; n <= 4; ++n) l.add(letter(n));
    ASSERT_TRUE(l.take(id_of(2)).has_value());
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{1, 3, 4}));
    EXPECT_TRUE(l.contains(id_of(3)));
    ASSERT_TRUE(l.take(id_of(4)).has_value());
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{1, 3}));
}

TEST(DeadLetters, ATaskSetAsideAgainKeepsOneLetterTheNewestAtTheEnd) {
    dead_letters l;
    l.add(letter(1, "first"));
    l.add(letter(2));
    EXPECT_FALSE(l.add(letter(1, "again, after a restart")).has_value());
    EXPECT_EQ(l.size(), 2u);
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{2, 1}));
    const std::optional<dead_letter> taken = l.take(id_of(1));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->reason, "again, after a restart");
    EXPECT_FALSE(l.contains(id_of(1))) << "no older letter of the task is left behind";
}

TEST(DeadLetters, AddingBeyondMaxKeptGivesBackTheOldestLetter) {
    dead_letters l(2);
    EXPECT_FALSE(l.add(letter(1, "oldest")).has_value());
    EXPECT_FALSE(l.add(letter(2)).has_value());
    const std::optional<dead_letter> dropped = l.add(letter(3));
    ASSERT_TRUE(dropped.has_value());
    EXPECT_EQ(dropped->task.id, id_of(1));
    EXPECT_EQ(dropped->reason, "oldest");
    EXPECT_EQ(l.size(), 2u);
    EXPECT_FALSE(l.contains(id_of(1)));
    EXPECT_FALSE(l.take(id_of(1)).has_value());
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{2, 3}));
}

TEST(DeadLetters, SettingATaskAsideAgainInAFullListDropsNoOtherLetter) {
    dead_letters l(2);
    l.add(letter(1));
    l.add(letter(2));
    EXPECT_FALSE(l.add(letter(1, "again")).has_value());
    EXPECT_EQ(l.size(), 2u);
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{2, 1}));
}

TEST(DeadLetters, AfterATakeTheFreedRoomIsUsedBeforeAnyLetterIsDropped) {
    dead_letters l(2);
    l.add(letter(1));
    l.add(letter(2));
    ASSERT_TRUE(l.take(id_of(1)).has_value());
    EXPECT_FALSE(l.add(letter(3)).has_value());
    EXPECT_EQ(listed(l), (std::vector<std::uint8_t>{2, 3}));
}

TEST(DeadLetters, WithRoomForNoLetterEachAddedLetterIsGivenStraightBack) {
    dead_letters l(0);
    const std::optional<dead_letter> back = l.add(letter(1));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->task.id, id_of(1));
    EXPECT_EQ(l.size(), 0u);
    EXPECT_FALSE(l.contains(id_of(1)));
}

TEST(DeadLetters, TakingManyLettersOneByOneEmptiesTheListInAnyOrder) {
    dead_letters l;
    constexpr int count = 200;
    for (int i = 0; i < count; ++i) l.add(letter(static_cast<std::uint8_t>(i)));
    EXPECT_EQ(l.size(), static_cast<std::size_t>(count));
    for (int i = count - 1; i >= 0; i -= 2)
        ASSERT_TRUE(l.take(id_of(static_cast<std::uint8_t>(i))).has_value());
    for (int i = 0; i < count; i += 2)
        ASSERT_TRUE(l.take(id_of(static_cast<std::uint8_t>(i))).has_value());
    EXPECT_EQ(l.size(), 0u);
    EXPECT_TRUE(listed(l).empty());
}

}  // namespace
