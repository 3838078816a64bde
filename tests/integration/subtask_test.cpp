// A coroutine task that submits subtasks and co_awaits them gives its slot back while it
// waits: even a worker with one slot and no prefetch runs a whole tree of them.
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

TEST(Subtasks, OneSlotNoPrefetchStillRunsATreeOfSubtasks) {
    shoal::testing::local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("single", {"--concurrency", "1", "--prefetch", "0"});
    shoal::client client(cluster.endpoint());
    std::vector<long> numbers(64);
    std::iota(numbers.begin(), numbers.end(), 1);
    EXPECT_EQ(client.submit(shoal_examples::add_all, numbers).get(60.0), 64 * 65 / 2);
}

}  // namespace
