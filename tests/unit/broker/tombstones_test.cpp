#include "tombstones.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "task_ids.hpp"

namespace {

using namespace shoal::broker;
using shoal::proto::task_id;
using shoal::testing::id_of;

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

// Clients choose ids. The fingerprint was linear in the id's two words (a ^ rotl(b, 29)), so
// these two ids shared one and the never-seen one answered `expired` with the other's body
// hash (failed at 85880ca); a keyed full mix tells them apart.
TEST(Tombstones, IdsAClientCanWriteToShareALinearFingerprintAreToldApart) {
    task_id shifted;  // words {a = 1 << 29, b = 0}
    task_id other;    // words {a = 0, b = 1}
    const std::uint64_t a = std::uint64_t{1} << 29;
    const std::uint64_t b = 1;
    std::memcpy(shifted.bytes.data(), &a, 8);
    std::memcpy(other.bytes.data() + 8, &b, 8);
    tombstones t(roomy);
    t.add(shifted, 0x1234, 10.0);
    EXPECT_TRUE(t.contains(shifted));
    EXPECT_FALSE(t.contains(other));
    EXPECT_EQ(t.find(other), std::nullopt);
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
