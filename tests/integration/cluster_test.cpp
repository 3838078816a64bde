// The distributed path end to end: a real shoal-broker, real shoal-worker processes loading
// the seed tasks, and a shoal::client in the test, all on loopback.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
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
using shoal::testing::column;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;

class ClusterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(cluster_.endpoint().empty());
        cluster_.add_worker("w1", {"--threads", "2", "--processes", "1"});
        cluster_.add_worker("w2", {"--threads", "2", "--processes", "1"});
        client_ = std::make_unique<shoal::client>(cluster_.endpoint());
        ASSERT_TRUE(client_->wait_connected(20.0));
        ASSERT_TRUE(wait_until([&] { return workers_seen() == 2; }, 20.0))
            << "workers never registered";
    }

    std::size_t workers_seen() { return client_->inspect("workers").result(5.0).rows.size(); }

    local_cluster cluster_;
    std::unique_ptr<shoal::client> client_;
};

TEST_F(ClusterTest, TenThousandTasksOverTwoWorkersEveryResultRight) {
    constexpr long n = 10'000;
    std::vector<std::tuple<long, long>> args;
    for (long i = 0; i < n; ++i) args.emplace_back(i, 3 * i);
    auto futures = client_->submit_many(add, args);
    const auto sums = shoal::concurrent::gather(futures, 120.0);
    ASSERT_EQ(sums.size(), static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i)
        ASSERT_EQ(sums[static_cast<std::size_t>(i)], 4 * i) << "task " << i;
    // Both workers took part.
    const auto done = column(client_->inspect("workers").result(5.0), "done");
    ASSERT_EQ(done.size(), 2u);
    for (const auto& d : done) EXPECT_GT(std::stol(d), 0) << "a worker did nothing";
}

TEST_F(ClusterTest, GatherKeepsArgumentOrder) {
    // The first finishes last; gather still answers in argument order.
    std::vector<shoal::remote_future<double>> futures;
    for (double s : {0.4, 0.2, 0.0, 0.1})
        futures.push_back(client_->submit(shoal_examples::sleep, s));
    EXPECT_EQ(shoal::concurrent::gather(futures, 30.0), (std::vector<double>{0.4, 0.2, 0.0, 0.1}));
}

TEST_F(ClusterTest, AsCompletedYieldsInCompletionOrder) {
    // Real processes: the tasks finish in this order only if none is held up by as long as
    // the gap to the next, so the gaps are a second, not the 0.4 s a busy machine can lose
    // on one task's way.
    std::vector<shoal::remote_future<double>> futures;
    for (double s : {2.0, 0.1, 1.0}) futures.push_back(client_->submit(shoal_examples::sleep, s));
    std::vector<double> order;
    for (auto f : shoal::concurrent::as_completed(futures, 30.0)) order.push_back(f.get());
    EXPECT_EQ(order, (std::vector<double>{0.1, 1.0, 2.0}));
}

TEST_F(ClusterTest, WaitFirstCompletedReturnsBeforeTheSlowOne) {
    std::vector<shoal::remote_future<double>> futures{client_->submit(shoal_examples::sleep, 0.05),
                                                      client_->submit(shoal_examples::sleep, 3.0)};
    const auto first = shoal::concurrent::wait(futures, 30.0, shoal::FIRST_COMPLETED);
    ASSERT_EQ(first.done.size(), 1u);
    EXPECT_EQ(first.done[0].get(), 0.05);
    EXPECT_EQ(first.not_done.size(), 1u);
}

TEST_F(ClusterTest, EachCallbackFiresExactlyOnceAlsoWhenAddedAfterCompletion) {
    constexpr int n = 1000;
    std::vector<std::atomic<int>> calls(n);
    std::vector<shoal::remote_future<long>> futures;
    for (int i = 0; i < n; ++i) {
        auto f = client_->submit(add, i, 1);
        f.add_done_callback([&calls, i](const shoal::remote_future<long>&) {
            calls[static_cast<std::size_t>(i)]++;
        });
        futures.push_back(f);
    }
    shoal::concurrent::wait(futures, 60.0);
    ASSERT_TRUE(wait_until(
        [&] {
            for (auto& c : calls)
                if (c.load() == 0) return false;
            return true;
        },
        10.0));
    // Added after completion: runs at once, once.
    std::atomic<int> late{0};
    futures[0].add_done_callback(
        [&late](const shoal::remote_future<long>& f) { late += static_cast<int>(f.get()); });
    EXPECT_EQ(late.load(), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(calls[static_cast<std::size_t>(i)].load(), 1) << "callback " << i;
    EXPECT_EQ(late.load(), 1);
}

TEST_F(ClusterTest, ATaskExceptionArrivesWithItsTypeMessageAndWorker) {
    auto f = client_->submit(fail, std::string("no more coffee"));
    try {
        f.get(30.0);
        FAIL() << "fail() returned";
    } catch (const shoal::remote_task_error& e) {
        EXPECT_EQ(e.type(), "std::runtime_error");
        EXPECT_STREQ(e.what(), "no more coffee");
        EXPECT_TRUE(e.where() == "w1" || e.where() == "w2") << e.where();
    }
}

TEST_F(ClusterTest, AnUnknownTaskNameFailsThatFutureAndDisturbsNothingElse) {
    auto before = client_->submit(add, 1, 1);
    auto unknown = client_->submit_raw("no_such_task", std::string("\x90", 1));
    auto after = client_->submit(add, 2, 2);
    EXPECT_THROW(unknown.get(30.0), shoal::unknown_task_error);
    EXPECT_EQ(before.get(30.0), 2);
    EXPECT_EQ(after.get(30.0), 4);
}

TEST_F(ClusterTest, WrongArgumentTypesFailWithAnArgumentError) {
    // add(long, long) given ["two", 3] through the untyped path.
    auto f = client_->submit_raw("add", std::string("\x92\xa3two\x03", 6));
    try {
        f.get(30.0);
        FAIL() << "add accepted a string";
    } catch (const shoal::remote_task_error& e) {
        EXPECT_EQ(e.type(), "shoal::argument_error");
    }
    EXPECT_EQ(client_->submit(add, 2, 3).get(30.0), 5);
}

TEST_F(ClusterTest, EveryPoolRunsItsTasks) {
    EXPECT_EQ(client_->submit(add, 2, 3).get(30.0), 5);                          // loop
    EXPECT_EQ(client_->submit(factorial, 20).get(30.0), "2432902008176640000");  // threads
    EXPECT_EQ(client_->submit(fib, 20).get(30.0), 6765);                         // threads
    EXPECT_EQ(client_->submit(count, 0).get(60.0), 0);                           // processes
    EXPECT_EQ(client_->submit(count_longer, 3, 2).get(60.0), 30'000'000);        // processes
}

TEST_F(ClusterTest, SpinBusyWaitsAtLeastWhatItIsAskedAndRefusesANegativeTime) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client_->submit(spin, 0.05).get(30.0), 0.05);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
    try {
        client_->submit(spin, -1.0).get(30.0);
        FAIL() << "spin accepted a negative time";
    } catch (const shoal::remote_task_error& e) {
        EXPECT_EQ(e.type(), "std::invalid_argument");
    }
}

TEST_F(ClusterTest, MapReturnsResultsInOrder) {
    const std::vector<std::string> lines{"a b a", "c", "b b"};
    const auto counts = client_->map(word_count, lines, 30.0);
    ASSERT_EQ(counts.size(), 3u);
    EXPECT_EQ(counts[0], (std::map<std::string, int>{{"a", 2}, {"b", 1}}));
    EXPECT_EQ(counts[1], (std::map<std::string, int>{{"c", 1}}));
    EXPECT_EQ(counts[2], (std::map<std::string, int>{{"b", 2}}));
}

TEST_F(ClusterTest, CoAwaitFromALoopTaskMixesRemoteAndLocalFutures) {
    shoal::event_loop loop;
    shoal::thread_pool_executor pool(1);
    const long total = loop.run_until_complete([&]() -> shoal::task<long> {
        auto remote = client_->submit(add, 40, 2);
        auto local = pool.submit([] { return 100L; });
        auto [a, b] = co_await shoal::gather(shoal::wrap_future(remote, loop),
                                             shoal::wrap_future(local, loop));
        const long c = co_await client_->submit(add, 1, 1);
        co_return a + b + c;
    }());
    EXPECT_EQ(total, 144);
    pool.shutdown();
    loop.close();
}

TEST_F(ClusterTest, AnotherClientFetchesAResultById) {
    auto f = client_->submit(add, 20, 22);
    ASSERT_EQ(f.get(30.0), 42);
    shoal::client other(cluster_.endpoint());
    EXPECT_EQ(other.fetch<long>(f.id()).get(30.0), 42);
    const auto state = other.fetch_state(shoal::proto::task_id::random()).result(30.0);
    EXPECT_EQ(state.state, shoal::proto::result_state::unknown);
}

TEST(Revoke, AQueuedTaskNeverRuns) {
    // No worker yet: the task waits in its queue, acknowledged by the broker.
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    shoal::client client(cluster.endpoint());
    auto victim = client.submit(add, 1, 2);
    auto survivor = client.submit(add, 2, 2);
    ASSERT_TRUE(client.flush(10.0));
    EXPECT_TRUE(victim.cancel());
    EXPECT_THROW(victim.get(30.0), shoal::cancelled_error);
    // A worker joins: it runs the survivor, never the victim, whose stored outcome is revoked.
    cluster.add_worker("w1");
    EXPECT_EQ(survivor.get(30.0), 4);
    const auto state = client.fetch_state(victim.id()).result(30.0);
    EXPECT_EQ(state.state, shoal::proto::result_state::done);
    ASSERT_TRUE(state.outcome);
    EXPECT_EQ(state.outcome->status, shoal::proto::task_status::revoked);
    const auto done = column(client.inspect("workers").result(5.0), "done");
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0], "1") << "the worker ran something besides the survivor";
}

}  // namespace
