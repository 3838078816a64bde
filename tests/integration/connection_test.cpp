// Connections come and go: tasks wait for the first worker, and a client whose link drops
// still gets every result.
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/tcp_proxy.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal_examples;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

TEST(Connection, TasksSubmittedBeforeAnyWorkerExistsCompleteOnceOneJoins) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    shoal::client client(cluster.endpoint());
    std::vector<std::tuple<long, long>> args;
    for (long i = 0; i < 200; ++i) args.emplace_back(i, i);
    auto futures = client.submit_many(add, args);
    ASSERT_TRUE(client.flush(20.0));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (const auto& f : futures) EXPECT_FALSE(f.done());
    cluster.add_worker("late");
    const auto sums = shoal::concurrent::gather(futures, 60.0);
    for (long i = 0; i < 200; ++i) EXPECT_EQ(sums[static_cast<std::size_t>(i)], 2 * i);
}

TEST(Connection, AClientWhoseConnectionDropsStillGetsEveryResult) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w1");
    shoal::testing::tcp_proxy proxy(cluster.endpoint());
    shoal::client client(proxy.endpoint());
    ASSERT_TRUE(client.wait_connected(20.0));
    // Tasks that finish while the link is down: their results are pushed into the void, and
    // the client must ask for them again once it is back.
    std::vector<shoal::remote_future<double>> futures;
    for (int i = 0; i < 20; ++i)
        futures.push_back(client.submit(shoal_examples::sleep, 0.2 + 0.01 * i));
    ASSERT_TRUE(client.flush(20.0));
    proxy.cut();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    proxy.cut();  // and once more, while it reconnects
    const auto values = shoal::concurrent::gather(futures, 60.0);
    ASSERT_EQ(values.size(), 20u);
    for (int i = 0; i < 20; ++i)
        EXPECT_DOUBLE_EQ(values[static_cast<std::size_t>(i)], 0.2 + 0.01 * i);
    EXPECT_GE(proxy.connections(), 2) << "the link never dropped: the test proved nothing";
    // And the client goes on working.
    EXPECT_EQ(client.submit(add, 2, 3).get(30.0), 5);
}

}  // namespace
