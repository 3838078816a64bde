// A worker dies or stalls while it holds a task: the broker notices within its liveness
// (100 ms x 3 here), gives the task to the other worker with a higher attempt number, and
// ignores whatever the first worker says afterwards.
#include <signal.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal_examples;
using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

// The worker running `id`, from INSPECT active: one that said it started it (STARTED), not
// merely holds it; empty while nobody does.
std::string worker_running(shoal::client& client, const shoal::proto::task_id& id) {
    for (const auto& row : client.inspect("active").result(5.0).rows) {
        if (field(row, "task") == id.to_hex() && field(row, "started") == "1") {
            return field(row, "worker");
        }
    }
    return {};
}

class WorkerLossTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(cluster_.endpoint().empty());
        // prefetch 0: a worker holds only what it runs, so a lost worker loses exactly that.
        cluster_.add_worker("w1", {"--concurrency", "1", "--prefetch", "0"});
        cluster_.add_worker("w2", {"--concurrency", "1", "--prefetch", "0"});
        client_ = std::make_unique<shoal::client>(cluster_.endpoint());
        ASSERT_TRUE(client_->wait_connected(20.0));
        ASSERT_TRUE(wait_until(
            [&] { return client_->inspect("workers").result(5.0).rows.size() == 2; }, 20.0));
    }

    shoal::testing::child_process& process_of(const std::string& name) {
        return cluster_.worker(name == "w1" ? 0 : 1);
    }

    local_cluster cluster_;
    std::unique_ptr<shoal::client> client_;
};

TEST_F(WorkerLossTest, KillNineAWorkerMidTaskAndTheTaskCompletesOnTheOther) {
    auto f = client_->submit(shoal_examples::sleep, 1.5);
    std::string holder;
    ASSERT_TRUE(
        wait_until([&] { return !(holder = worker_running(*client_, f.id())).empty(); }, 10.0));
    process_of(holder).signal(SIGKILL);
    EXPECT_EQ(f.get(30.0), 1.5);
    // It ran again, elsewhere: the dead worker is gone from the report.
    const auto workers = client_->inspect("workers").result(5.0);
    ASSERT_EQ(workers.rows.size(), 1u);
    EXPECT_NE(field(workers.rows[0], "name"), holder);
    // And nothing else was disturbed.
    EXPECT_EQ(client_->submit(add, 2, 3).get(30.0), 5);
}

TEST_F(WorkerLossTest, AStoppedWorkerLosesItsTaskAndItsLateResultIsIgnored) {
    // Long enough that it cannot end between the test seeing it run and stopping its worker.
    auto f = client_->submit(shoal_examples::sleep, 2.0);
    std::string holder;
    ASSERT_TRUE(
        wait_until([&] { return !(holder = worker_running(*client_, f.id())).empty(); }, 10.0));
    auto& stopped = process_of(holder);
    stopped.signal(SIGSTOP);
    // Past its liveness the broker gives the task to the other worker, which finishes it.
    EXPECT_EQ(f.get(30.0), 2.0);
    // Woken up, the first worker finishes its superseded attempt; the broker ignores that
    // result (the stored one stays the first), and the worker comes back for new work.
    stopped.signal(SIGCONT);
    ASSERT_TRUE(
        wait_until([&] { return client_->inspect("workers").result(5.0).rows.size() == 2; }, 20.0))
        << "the stopped worker never came back";
    const auto state = client_->fetch_state(f.id()).result(10.0);
    ASSERT_EQ(state.state, shoal::proto::result_state::done);
    EXPECT_EQ(state.outcome->status, shoal::proto::task_status::ok);
    // The broker did declare it dead and re-queue its task (this is what the test is about).
    const auto stats = client_->inspect("stats").result(5.0);
    ASSERT_EQ(stats.rows.size(), 1u);
    EXPECT_GE(std::stol(field(stats.rows[0], "workers_dead")), 1);
    EXPECT_GE(std::stol(field(stats.rows[0], "requeued")), 1);
    EXPECT_EQ(std::stol(field(stats.rows[0], "completed")),
              std::stol(field(stats.rows[0], "submitted")))
        << "every accepted task completed exactly once";
    // Both workers serve again.
    std::vector<shoal::remote_future<double>> more;
    for (int i = 0; i < 4; ++i) more.push_back(client_->submit(shoal_examples::sleep, 0.2));
    EXPECT_EQ(shoal::concurrent::gather(more, 30.0).size(), 4u);
}

TEST_F(WorkerLossTest, ATaskThatOutlivesEveryWorkerWaitsForTheNextOne) {
    // Long enough that it cannot end between the test seeing it run and killing the workers.
    auto f = client_->submit(shoal_examples::sleep, 2.0);
    std::string holder;
    ASSERT_TRUE(
        wait_until([&] { return !(holder = worker_running(*client_, f.id())).empty(); }, 10.0));
    cluster_.worker(0).signal(SIGKILL);
    cluster_.worker(1).signal(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_FALSE(f.done());
    cluster_.add_worker("w3");
    EXPECT_EQ(f.get(30.0), 2.0);
}

}  // namespace
