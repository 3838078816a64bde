// id_map: the client's open-addressing table from task id to its entry, checked against
// std::unordered_map under random churn and under forced collisions that wrap around.
#include "shoal/client/detail/id_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

namespace {

using shoal::detail::id_map;
using shoal::proto::task_id;

// An id whose hash is exactly `h` (task_id_hash is a ^ (b * k): with b = 0 it is a).
task_id id_with_hash(std::uint64_t h) {
    task_id id;
    std::memcpy(id.bytes.data(), &h, 8);
    return id;
}

void check_same(id_map<int>& map, const std::unordered_map<task_id, int>& reference) {
    ASSERT_EQ(map.size(), reference.size());
    for (const auto& [id, v] : reference) {
        const int* found = map.find(id);
        ASSERT_NE(found, nullptr);
        ASSERT_EQ(*found, v);
    }
    std::size_t seen = 0;
    map.for_each([&](const task_id& id, int v) {
        ++seen;
        ASSERT_EQ(reference.at(id), v);
    });
    ASSERT_EQ(seen, reference.size());
}

TEST(IdMap, AnIdIsInsertedOnceAndTakenOrErasedOnce) {
    id_map<int> map;
    const auto a = task_id::random();
    const auto b = task_id::random();
    EXPECT_EQ(map.find(a), nullptr);
    auto [pa, fresh] = map.try_emplace(a);
    EXPECT_TRUE(fresh);
    *pa = 1;
    auto [again, fresh_again] = map.try_emplace(a);
    EXPECT_FALSE(fresh_again);
    EXPECT_EQ(*again, 1);
    *map.try_emplace(b).first = 2;
    EXPECT_EQ(map.size(), 2u);
    EXPECT_EQ(map.take(a), 1);
    EXPECT_EQ(map.take(a), std::nullopt);
    EXPECT_TRUE(map.erase(b));
    EXPECT_FALSE(map.erase(b));
    EXPECT_TRUE(map.empty());
}

TEST(IdMap, MatchesAReferenceMapUnderRandomChurn) {
    id_map<int> map;
    std::unordered_map<task_id, int> reference;
    std::vector<task_id> live;
    std::mt19937 rng(7);
    for (int i = 0; i < 200'000; ++i) {
        if (live.empty() || rng() % 3 != 0) {
            const auto id = task_id::random();
            *map.try_emplace(id).first = i;
            reference[id] = i;
            live.push_back(id);
        } else {
            const std::size_t k = rng() % live.size();
            EXPECT_EQ(map.take(live[k]), reference.at(live[k]));
            reference.erase(live[k]);
            live[k] = live.back();
            live.pop_back();
        }
    }
    check_same(map, reference);
}

TEST(IdMap, CollidingIdsThatWrapAroundTheEndStayFindableThroughDeletions) {
    id_map<int> map;
    std::unordered_map<task_id, int> reference;
    // 30 ids whose home is the last slot of the first table (64 slots): one probe run that
    // wraps to the start. Then delete from the middle, the start and the end of the run.
    std::vector<task_id> ids;
    for (std::uint64_t k = 0; k < 30; ++k) ids.push_back(id_with_hash(63 + 64 * k * 1024));
    for (std::size_t i = 0; i < ids.size(); ++i) {
        *map.try_emplace(ids[i]).first = static_cast<int>(i);
        reference[ids[i]] = static_cast<int>(i);
    }
    check_same(map, reference);
    for (std::size_t i : {15u, 0u, 29u, 1u, 14u, 16u}) {
        EXPECT_EQ(map.take(ids[i]), static_cast<int>(i));
        reference.erase(ids[i]);
        check_same(map, reference);
    }
    // Mixed homes around the wrap point.
    for (std::uint64_t k = 0; k < 20; ++k) {
        const auto id = id_with_hash(60 + (k % 6) + 64 * 4096 * (k + 1));
        *map.try_emplace(id).first = 100 + static_cast<int>(k);
        reference[id] = 100 + static_cast<int>(k);
    }
    check_same(map, reference);
    std::vector<task_id> keys;
    for (const auto& [id, v] : reference) keys.push_back(id);
    for (std::size_t i = 0; i < keys.size(); i += 2) {
        map.erase(keys[i]);
        reference.erase(keys[i]);
        check_same(map, reference);
    }
}

TEST(IdMap, ClearEmptiesIt) {
    id_map<int> map;
    for (int i = 0; i < 1000; ++i) *map.try_emplace(task_id::random()).first = i;
    EXPECT_EQ(map.size(), 1000u);
    map.clear();
    EXPECT_TRUE(map.empty());
    std::size_t seen = 0;
    map.for_each([&](const task_id&, int) { ++seen; });
    EXPECT_EQ(seen, 0u);
}

}  // namespace
