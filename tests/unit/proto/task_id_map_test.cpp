// task_id_map: the one table from task id to value (broker and client), checked against
// std::unordered_map under churn, with pointers held across growth and compaction.
#include "shoal/proto/task_id_map.hpp"

#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "task_ids.hpp"

namespace {

using shoal::proto::task_id;
using shoal::proto::task_id_map;

using shoal::testing::id_of;

TEST(TaskIdMap, AnIdIsInsertedOnceFoundByItsIdAndErasedOnce) {
    task_id_map<std::string> m;
    EXPECT_EQ(m.find(id_of(1)), nullptr);
    auto [v, fresh] = m.try_emplace(id_of(1));
    ASSERT_TRUE(fresh);
    *v = "one";
    auto [again, fresh_again] = m.try_emplace(id_of(1));
    EXPECT_FALSE(fresh_again);
    EXPECT_EQ(again, v);
    EXPECT_EQ(*m.find(id_of(1)), "one");
    EXPECT_EQ(m.size(), 1u);
    EXPECT_TRUE(m.erase(id_of(1)));
    EXPECT_FALSE(m.erase(id_of(1)));
    EXPECT_EQ(m.find(id_of(1)), nullptr);
    EXPECT_TRUE(m.empty());
}

TEST(TaskIdMap, ErasedValuesAreResetAndSlotsReused) {
    task_id_map<std::string> m;
    *m.try_emplace(id_of(1)).first = std::string(100, 'x');
    m.erase(id_of(1));
    auto [v, fresh] = m.try_emplace(id_of(2));
    EXPECT_TRUE(fresh);
    EXPECT_TRUE(v->empty());
    EXPECT_EQ(m.slab_size(), 1u);
}

TEST(TaskIdMap, PointersStayValidWhileTheMapGrows) {
    task_id_map<int> m;
    int* first = m.try_emplace(id_of(0)).first;
    *first = 42;
    for (std::uint64_t i = 1; i < 10'000; ++i) *m.try_emplace(id_of(i)).first = static_cast<int>(i);
    EXPECT_EQ(*first, 42);
    EXPECT_EQ(m.find(id_of(0)), first);
}

TEST(TaskIdMap, AgreesWithUnorderedMapUnderRandomChurn) {
    // Colliding hashes included: ids that differ only in bytes the hash folds together.
    std::mt19937_64 rng(12345);
    task_id_map<std::uint64_t> m;
    std::unordered_map<task_id, std::uint64_t> ref;
    for (int step = 0; step < 200'000; ++step) {
        const std::uint64_t key = rng() % 5000;
        const task_id id = id_of(key * 0x9e3779b97f4a7c15ULL);
        switch (rng() % 3) {
            case 0: {
                auto [v, fresh] = m.try_emplace(id);
                const bool ref_fresh = ref.find(id) == ref.end();
                ASSERT_EQ(fresh, ref_fresh);
                if (fresh) {
                    *v = key;
                    ref[id] = key;
                }
                break;
            }
            case 1:
                ASSERT_EQ(m.erase(id), ref.erase(id) == 1);
                break;
            default: {
                const std::uint64_t* v = m.find(id);
                const auto it = ref.find(id);
                ASSERT_EQ(v != nullptr, it != ref.end());
                if (v != nullptr) {
                    ASSERT_EQ(*v, it->second);
                }
            }
        }
        ASSERT_EQ(m.size(), ref.size());
    }
    std::size_t seen = 0;
    m.for_each([&](const task_id& id, std::uint64_t& v) {
        ++seen;
        EXPECT_EQ(ref.at(id), v);
    });
    EXPECT_EQ(seen, ref.size());
}

TEST(TaskIdMap, CompactGivesBackTheSlabAndKeepsEveryEntry) {
    task_id_map<std::uint64_t> m;
    for (std::uint64_t i = 0; i < 10'000; ++i) *m.try_emplace(id_of(i)).first = i;
    for (std::uint64_t i = 0; i < 10'000; ++i) {
        if (i % 10 != 0) m.erase(id_of(i));
    }
    EXPECT_EQ(m.slab_size(), 10'000u);
    m.compact_if_sparse();
    EXPECT_EQ(m.slab_size(), 1'000u);
    EXPECT_EQ(m.size(), 1'000u);
    for (std::uint64_t i = 0; i < 10'000; ++i) {
        const std::uint64_t* v = m.find(id_of(i));
        if (i % 10 == 0) {
            ASSERT_NE(v, nullptr);
            EXPECT_EQ(*v, i);
        } else {
            EXPECT_EQ(v, nullptr);
        }
    }
    *m.try_emplace(id_of(20'000)).first = 7;  // still usable after compaction
    EXPECT_EQ(*m.find(id_of(20'000)), 7u);
}

TEST(TaskIdMap, CompactLeavesADenseMapAlone) {
    task_id_map<int> m;
    for (std::uint64_t i = 0; i < 1000; ++i) m.try_emplace(id_of(i));
    int* p = m.find(id_of(5));
    m.compact_if_sparse();
    EXPECT_EQ(m.find(id_of(5)), p);
}

TEST(TaskIdMap, TakeHandsTheValueOverOnce) {
    task_id_map<std::string> m;
    *m.try_emplace(id_of(1)).first = "one";
    *m.try_emplace(id_of(2)).first = "two";
    EXPECT_EQ(m.take(id_of(1)), std::optional<std::string>("one"));
    EXPECT_EQ(m.take(id_of(1)), std::nullopt);
    EXPECT_EQ(m.find(id_of(1)), nullptr);
    EXPECT_EQ(*m.find(id_of(2)), "two");
    EXPECT_EQ(m.size(), 1u);
}

TEST(TaskIdMap, RandomIdsAgreeWithUnorderedMapThroughTakes) {
    task_id_map<int> m;
    std::unordered_map<task_id, int> ref;
    std::vector<task_id> live;
    std::mt19937 rng(7);
    for (int i = 0; i < 200'000; ++i) {
        if (live.empty() || rng() % 3 != 0) {
            const auto id = task_id::random();
            *m.try_emplace(id).first = i;
            ref[id] = i;
            live.push_back(id);
        } else {
            const std::size_t k = rng() % live.size();
            ASSERT_EQ(m.take(live[k]), ref.at(live[k]));
            ref.erase(live[k]);
            live[k] = live.back();
            live.pop_back();
        }
    }
    ASSERT_EQ(m.size(), ref.size());
    for (const auto& [id, v] : ref) {
        const int* found = m.find(id);
        ASSERT_NE(found, nullptr);
        ASSERT_EQ(*found, v);
    }
}

TEST(TaskIdMap, ClearEmptiesItAndItIsUsableAfter) {
    task_id_map<int> m;
    for (int i = 0; i < 1000; ++i) *m.try_emplace(task_id::random()).first = i;
    m.clear();
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.slab_size(), 0u);
    std::size_t seen = 0;
    m.for_each([&](const task_id&, int) { ++seen; });
    EXPECT_EQ(seen, 0u);
    *m.try_emplace(id_of(3)).first = 3;
    EXPECT_EQ(*m.find(id_of(3)), 3);
}

}  // namespace
