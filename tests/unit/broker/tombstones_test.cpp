#include "tombstones.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace {

using namespace shoal::broker;
using shoal::proto::task_id;

task_id id_of(std::uint8_t n) {
    task_id id;
    id.bytes[0] = n;
    return id;
}

constexpr std::size_t roomy = 1000;

TEST(Tombstones, ARememberedIdIsFoundWithTheBodyHashItWasSubmittedWith) {
    tombstones t(roomy);
    t.add(id_of(1), 0xabcdef, 10.0);
    EXPECT_TRUE(t.contains(id_of(1)));
    EXPECT_EQ(t.find(id_of(1)), std::optional<std::uint64_t>{0xabcdef});
    EXPECT_EQ(t.size(), 1u);
}

TEST(Tombstones, AnIdNeverRememberedIsNotFound) {
    tombstones t(roomy);
    EXPECT_FALSE(t.contains(id_of(1)));
    t.add(id_of(1), 1, 10.0);
    EXPECT_FALSE(t.contains(id_of(2)));
    EXPECT_FALSE(t.find(id_of(2)).has_value());
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.contains(task_id::random()));
}

TEST(Tombstones, IdsThatDifferOnlyInTheirSecondHalfAreToldApart) {
    tombstones t(roomy);
    task_id a;
    a.bytes[8] = 1;
    task_id b;
    b.bytes[15] = 1;
    t.add(a, 11, 10.0);
    EXPECT_TRUE(t.contains(a));
    EXPECT_FALSE(t.contains(b));
    t.add(b, 22, 10.0);
    EXPECT_EQ(t.find(a), std::optional<std::uint64_t>{11});
    EXPECT_EQ(t.find(b), std::optional<std::uint64_t>{22});
}

TEST(Tombstones, AnIdIsKeptUntilItsForgetTimeAndForgottenAtIt) {
    tombstones t(roomy);
    t.add(id_of(1), 1, 10.0);
    t.add(id_of(2), 2, 20.0);
    t.trim(9.999);
    EXPECT_TRUE(t.contains(id_of(1)));
    EXPECT_EQ(t.size(), 2u);
    t.trim(10.0);
    EXPECT_FALSE(t.contains(id_of(1)));
    EXPECT_TRUE(t.contains(id_of(2)));
    EXPECT_EQ(t.size(), 1u);
    t.trim(25.0);
    EXPECT_FALSE(t.contains(id_of(2)));
    EXPECT_EQ(t.size(), 0u);
}

TEST(Tombstones, ForgettingInTimeIsNotCountedAsForgettingEarly) {
    tombstones t(roomy);
    t.add(id_of(1), 1, 10.0);
    t.trim(10.0);
    EXPECT_EQ(t.forgotten_early(), 0u);
}

TEST(Tombstones, PastCapacityTheOldestIdIsForgottenEarlyAndCounted) {
    tombstones t(2);
    t.add(id_of(1), 1, 10.0);
    t.add(id_of(2), 2, 20.0);
    EXPECT_EQ(t.forgotten_early(), 0u);
    t.add(id_of(3), 3, 30.0);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_FALSE(t.contains(id_of(1)));
    EXPECT_TRUE(t.contains(id_of(2)));
    EXPECT_TRUE(t.contains(id_of(3)));
    EXPECT_EQ(t.forgotten_early(), 1u);
    t.add(id_of(4), 4, 40.0);
    EXPECT_FALSE(t.contains(id_of(2)));
    EXPECT_EQ(t.forgotten_early(), 2u);
}

TEST(Tombstones, WithNoCapacityNothingIsRemembered) {
    tombstones t(0);
    t.add(id_of(1), 1, 10.0);
    EXPECT_FALSE(t.contains(id_of(1)));
    EXPECT_EQ(t.size(), 0u);
}

TEST(Tombstones, AnIdRememberedAgainLivesUntilItsLaterForgetTimeWithItsNewBodyHash) {
    tombstones t(roomy);
    t.add(id_of(1), 111, 10.0);
    t.add(id_of(2), 2, 15.0);
    t.add(id_of(1), 222, 20.0);
    EXPECT_EQ(t.find(id_of(1)), std::optional<std::uint64_t>{222});
    t.trim(15.0);  // the first window of id 1 ends, and id 2's
    EXPECT_FALSE(t.contains(id_of(2)));
    EXPECT_EQ(t.find(id_of(1)), std::optional<std::uint64_t>{222});
    t.trim(20.0);
    EXPECT_FALSE(t.contains(id_of(1)));
}

TEST(Tombstones, AnIdRememberedAgainSurvivesItsOlderMarkLeavingForCapacity) {
    tombstones t(2);
    t.add(id_of(1), 111, 10.0);
    t.add(id_of(1), 222, 20.0);
    t.add(id_of(2), 2, 30.0);  // pushes out the older mark of id 1
    EXPECT_EQ(t.find(id_of(1)), std::optional<std::uint64_t>{222});
    EXPECT_TRUE(t.contains(id_of(2)));
}

TEST(Tombstones, ManyIdsAreForgottenInTheOrderTheirWindowsEnd) {
    tombstones t(roomy);
    std::vector<task_id> ids;
    for (int i = 0; i < 300; ++i) {
        ids.push_back(task_id::random());
        t.add(ids.back(), static_cast<std::uint64_t>(i), static_cast<double>(i));
    }
    t.trim(149.5);
    EXPECT_EQ(t.size(), 150u);
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(t.contains(ids[static_cast<std::size_t>(i)]), i >= 150) << "id " << i;
    }
    EXPECT_EQ(t.find(ids[200]), std::optional<std::uint64_t>{200});
    EXPECT_EQ(t.forgotten_early(), 0u);
}

}  // namespace
