// SIGTERM drains a worker: it takes no new work, finishes what it holds, says BYE and exits
// 0; the tasks it did not take run elsewhere. A second signal exits at once.
#include <signal.h>

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal_examples;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

// Tasks the broker knows a worker began (its STARTED arrived): `inspect active`, started 1.
std::size_t started_tasks(shoal::client& client) {
    std::size_t n = 0;
    for (const auto& row : client.inspect("active").result(5.0).rows) {
        for (const auto& f : row) {
            if (f.key == "started" && f.value == shoal::proto::report_value{std::int64_t{1}}) ++n;
        }
    }
    return n;
}

TEST(WorkerDrain, SigtermFinishesWhatTheWorkerHoldsAndExitsZero) {
    // A 1 s liveness window: under ASan on a loaded machine a 300 ms one declared the busy
    // worker dead, and its two results were then (rightly) fenced as late.
    local_cluster cluster({"--heartbeat-ms", "100", "--liveness", "10"});
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("draining", {"--concurrency", "2", "--prefetch", "0"});
    shoal::client client(cluster.endpoint());
    std::vector<shoal::remote_future<double>> futures;
    for (int i = 0; i < 6; ++i) futures.push_back(client.submit(shoal_examples::sleep, 0.6));
    // Wait until the worker runs two (it said so), then ask it to stop.
    ASSERT_TRUE(wait_until([&] { return started_tasks(client) == 2; }, 20.0));
    cluster.worker(0).signal(SIGTERM);
    EXPECT_EQ(cluster.worker(0).wait(20.0), 0) << "the draining worker did not exit 0";
    // The two it held finished; the four it never took wait for another worker. The worker
    // sent its results before exiting, but they reach this client through the broker, so
    // they may arrive just after the exit.
    const auto finished = [&] {
        int n = 0;
        for (const auto& f : futures) n += f.done() ? 1 : 0;
        return n;
    };
    EXPECT_TRUE(wait_until([&] { return finished() >= 2; }, 10.0)) << finished() << " finished";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(finished(), 2) << "a task the worker never took finished without a worker";
    cluster.add_worker("next");
    EXPECT_EQ(shoal::concurrent::gather(futures, 60.0).size(), 6u);
}

TEST(WorkerDrain, ASecondSignalExitsAtOnce) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("impatient", {"--concurrency", "1", "--grace", "60"});
    shoal::client client(cluster.endpoint());
    auto f = client.submit(shoal_examples::sleep, 30.0);
    ASSERT_TRUE(wait_until([&] { return started_tasks(client) == 1; }, 20.0));
    cluster.worker(0).signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(cluster.worker(0).running()) << "the first signal should drain, not exit";
    cluster.worker(0).signal(SIGTERM);
    const auto status = cluster.worker(0).wait(5.0);
    ASSERT_TRUE(status) << "the second signal did not stop the worker";
    EXPECT_NE(*status, 0);
    // Its task is not lost: another worker runs it (at-least-once).
    cluster.add_worker("rescuer");
    EXPECT_FALSE(f.done());
    f.cancel();
}

}  // namespace
