// task_id: random ids from the OS CSPRNG (unique, UUIDv4-shaped, not repeated across fork) and
// a per-process seeded hash that ids chosen to collide cannot pile into one bucket.
#include "shoal/proto/task_id.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace {

using shoal::proto::task_id;
using shoal::proto::task_id_hash;

TEST(TaskId, AMillionRandomIdsAreDistinctAndVersionFour) {
    constexpr std::size_t count = 1'000'000;
    std::vector<task_id> ids;
    ids.reserve(count);
    for (std::size_t i = 0; i < count; ++i) ids.push_back(task_id::random());
    for (const auto& id : ids) {
        ASSERT_EQ(id.bytes[6] >> 4, 4);
        ASSERT_EQ(id.bytes[8] >> 6, 2);
    }
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

// Ids are buffered per thread: a forked child must not hand out the ones its parent will.
TEST(TaskId, AForkedChildDoesNotRepeatItsParentsNextIds) {
    constexpr int per_side = 64;
    (void)task_id::random();  // the parent's batch is filled before the fork
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        for (int i = 0; i < per_side; ++i) {
            const task_id id = task_id::random();
            if (::write(fds[1], id.bytes.data(), 16) != 16) ::_exit(1);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::set<task_id> parents;
    for (int i = 0; i < per_side; ++i) parents.insert(task_id::random());
    int shared = 0;
    int received = 0;
    task_id id;
    while (::read(fds[0], id.bytes.data(), 16) == 16) {
        ++received;
        shared += parents.count(id) > 0 ? 1 : 0;
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(received, per_side);
    EXPECT_EQ(shared, 0);
}

// Ids built so that the hash without its per-process seed would be one value for all of them
// (a + b * k constant): with the seed they still spread over a table's buckets.
TEST(TaskId, IdsChosenToCollideUnderAnUnseededHashSpreadOverBuckets) {
    constexpr std::uint64_t k = 0x9e3779b97f4a7c15ULL;  // the multiplier task_id_hash uses
    constexpr std::size_t count = 100'000;
    constexpr std::uint64_t buckets = 1 << 17;
    std::unordered_set<std::uint64_t> used;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t b = i;
        const std::uint64_t a = 0x1234567890abcdefULL - b * k;
        task_id id;
        std::memcpy(id.bytes.data(), &a, 8);
        std::memcpy(id.bytes.data() + 8, &b, 8);
        used.insert(task_id_hash{}(id) & (buckets - 1));
    }
    // Random hashes of 100k keys into 131k buckets fill about 70k of them; one bucket for all
    // is what an unseeded hash would give.
    EXPECT_GT(used.size(), count / 2);
}

}  // namespace
