// Named queues end to end: a real shoal-broker and two shoal-worker processes, one started
// with `--queues gpu`, the other with none (it consumes `default`). Every task runs on a
// worker consuming its queue, chosen in the submit, by `shoal submit --queue`, or by the
// broker's route table (`--task-routes`). Which worker ran a task is told by the worker
// named in a failed task's error, and by each worker's `done` count in INSPECT workers.
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/common/runtime.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using namespace shoal_examples;
using shoal::testing::field;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

class QueueRoutingTest : public ::testing::Test {
  protected:
    // w-default names no queue unless `default_queues` says otherwise.
    void start(std::vector<std::string> broker_args = {}, std::string default_queues = "") {
        cluster_ = std::make_unique<local_cluster>(std::move(broker_args));
        ASSERT_FALSE(cluster_->endpoint().empty());
        std::vector<std::string> plain{"--threads", "1", "--processes", "1"};
        if (!default_queues.empty()) plain.insert(plain.end(), {"--queues", default_queues});
        cluster_->add_worker("w-default", plain);
        cluster_->add_worker("w-gpu", {"--threads", "1", "--processes", "1", "--queues", "gpu"});
        client_ = std::make_unique<shoal::client>(cluster_->endpoint());
        ASSERT_TRUE(client_->wait_connected(20.0));
        ASSERT_TRUE(wait_until(
            [&] { return client_->inspect("workers").result(5.0).rows.size() == 2; }, 20.0))
            << "the workers never registered";
    }

    // Each worker's `done` (outcomes the broker took from it), by worker name.
    std::map<std::string, long> done_by_worker() {
        std::map<std::string, long> done;
        for (const auto& row : client_->inspect("workers").result(5.0).rows) {
            done[field(row, "name")] = std::stol(field(row, "done"));
        }
        return done;
    }

    // The worker a failing task ran on, as its error names it.
    std::string worker_that_ran(shoal::remote_future<void> f) {
        try {
            f.get(30.0);
        } catch (const shoal::remote_task_error& e) {
            return e.where();
        }
        return "(it did not fail)";
    }

    std::unique_ptr<local_cluster> cluster_;
    std::unique_ptr<shoal::client> client_;
};

TEST_F(QueueRoutingTest, EachTaskRunsOnAWorkerConsumingItsQueue) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::vector<std::tuple<long, long>> args;
    for (long i = 0; i < 30; ++i) args.emplace_back(i, 1);
    auto on_gpu = client_->submit_many(add, args, {.queue = "gpu"});
    auto on_default = client_->submit_many(add, args);
    const auto gpu_sums = shoal::concurrent::gather(on_gpu, 60.0);
    const auto default_sums = shoal::concurrent::gather(on_default, 60.0);
    for (long i = 0; i < 30; ++i) {
        EXPECT_EQ(gpu_sums[static_cast<std::size_t>(i)], i + 1);
        EXPECT_EQ(default_sums[static_cast<std::size_t>(i)], i + 1);
    }
    auto done = done_by_worker();
    EXPECT_EQ(done["w-gpu"], 30);
    EXPECT_EQ(done["w-default"], 30);

    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(worker_that_ran(client_->submit({.queue = "gpu"}, fail, std::string("which"))),
                  "w-gpu");
        EXPECT_EQ(worker_that_ran(client_->submit(fail, std::string("which"))), "w-default");
    }

    // From the shell: `shoal submit --queue`.
    const auto r = cluster_->cli({"submit", "add", "20", "22", "--queue", "gpu", "--wait"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("42"), std::string::npos) << r.out;
    done = done_by_worker();
    EXPECT_EQ(done["w-gpu"], 36);
    EXPECT_EQ(done["w-default"], 35);

    // `shoal inspect queues` names each queue's consumers.
    const auto q = cluster_->cli({"inspect", "queues"});
    EXPECT_EQ(q.status, 0) << q.out;
    EXPECT_NE(q.out.find("w-gpu"), std::string::npos) << q.out;
    EXPECT_NE(q.out.find("w-default"), std::string::npos) << q.out;
}

TEST_F(QueueRoutingTest, ATaskForAQueueNobodyConsumesWaitsAndRunsWhenAConsumerComes) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto f = client_->submit({.queue = "later"}, add, 1, 2);
    // Accepted and waiting: INSPECT queues shows it there, without consumers.
    ASSERT_TRUE(wait_until(
        [&] {
            for (const auto& row : client_->inspect("queues").result(5.0).rows) {
                if (field(row, "name") == "later")
                    return field(row, "length") == "1" && field(row, "consumers") == "0";
            }
            return false;
        },
        20.0));
    EXPECT_FALSE(f.done());
    cluster_->add_worker("w-later", {"--threads", "1", "--processes", "1", "--queues", "later"});
    EXPECT_EQ(f.get(30.0), 3);
    EXPECT_EQ(done_by_worker()["w-later"], 1);
}

TEST_F(QueueRoutingTest, TheRouteTableSendsATaskThatNamesNoQueueToItsQueue) {
    ASSERT_NO_FATAL_FAILURE(start({"--task-routes", "fail=gpu"}, "default,cpu"));
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(worker_that_ran(client_->submit(fail, std::string("routed"))), "w-gpu");
        // A queue named in the submit wins over the route table.
        EXPECT_EQ(worker_that_ran(client_->submit({.queue = "cpu"}, fail, std::string("named"))),
                  "w-default");
    }
    EXPECT_EQ(client_->submit(add, 1, 1).get(30.0), 2);  // not in the table: default
    auto done = done_by_worker();
    EXPECT_EQ(done["w-default"], 6);
    EXPECT_EQ(done["w-gpu"], 5);
}

}  // namespace
