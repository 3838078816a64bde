// Workflows against a real broker and real workers (PROTOCOL.md section 6.5): futures as
// arguments, chain, group and chord, run by the broker with no client round trip between a
// task and its dependents, with failures and revokes passed down.

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::local_cluster;
using shoal::testing::wait_until;
namespace ex = shoal_examples;

class Workflows : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(cluster.endpoint().empty());
        cluster.add_worker("w1", {"--concurrency", "2"});
        ASSERT_TRUE(client.wait_connected(20.0));
        ASSERT_TRUE(wait_until(
            [&] { return client.inspect("workers").result(5.0).rows.size() == 1; }, 20.0));
    }
    local_cluster cluster;
    shoal::client client{cluster.endpoint()};
};

// The error a failed future holds.
template <class T>
std::pair<std::string, std::string> error_of(const shoal::remote_future<T>& f) {
    try {
        (void)f.get(60.0);
    } catch (const shoal::remote_task_error& e) {
        return {e.type(), e.what()};
    }
    return {"<no remote_task_error>", ""};
}

TEST_F(Workflows, FuturesAreArgumentsOfOtherTasks) {
    auto f1 = client.submit(ex::add, 1, 2);
    auto f2 = client.submit(ex::add, 3, 4);
    auto product = client.submit(ex::mul, f1, f2);  // mul(3, 7)
    auto mixed = client.submit(ex::add, product, 100L);
    EXPECT_EQ(mixed.get(60.0), 121);
    EXPECT_EQ(product.get(1.0), 21);
}

TEST_F(Workflows, ADiamondWithAFailingNodeFailsOnlyWhatDependsOnIt) {
    // a = add(1, 1); b = divide(a, 0) and c = mul(a, 3) both take a; d = add(b, c).
    auto a = client.submit(ex::add, 1, 1);
    auto b = client.submit(ex::divide, a, 0L);
    auto c = client.submit(ex::mul, a, 3L);
    auto d = client.submit(ex::add, b, c);
    EXPECT_EQ(c.get(60.0), 6);
    const auto [b_type, b_message] = error_of(b);
    EXPECT_EQ(b_type, "std::domain_error");
    const auto [d_type, d_message] = error_of(d);
    EXPECT_EQ(d_type, "shoal::input_failed");
    EXPECT_NE(d_message.find(b.id().to_hex()), std::string::npos) << d_message;
    EXPECT_NE(d_message.find("std::domain_error: divide: by zero"), std::string::npos) << d_message;
}

TEST_F(Workflows, AChainPassesEachResultOnAndAnImmutableStepTakesNone) {
    // ((1 + 2) * 10) + -1
    auto r = client.submit(shoal::chain(ex::add.s(1, 2), ex::mul.s(10), ex::add.s(-1)));
    EXPECT_EQ(r.get(60.0), 29);
    auto after = client.submit(shoal::chain(ex::add.s(1, 2), ex::mul.si(6, 7)));
    EXPECT_EQ(after.get(60.0), 42);
    // Options apply per step: a step sent to a queue nobody consumes holds the rest back.
    auto held = client.submit(
        shoal::chain(ex::add.s(1, 2).set(shoal::submit_options{.queue = "nobody"}), ex::mul.s(2)));
    EXPECT_FALSE(held.wait(0.5));
    held.cancel();
}

TEST_F(Workflows, AFailingChainStepFailsTheStepsAfterIt) {
    auto r = client.submit(shoal::chain(ex::divide.s(1, 0), ex::add.s(1), ex::mul.s(2)));
    const auto [type, message] = error_of(r);
    EXPECT_EQ(type, "shoal::input_failed");
    EXPECT_NE(message.find("std::domain_error: divide: by zero"), std::string::npos) << message;
}

TEST_F(Workflows, AGroupGathersInOrderAndAChordGetsTheList) {
    auto g = client.submit(shoal::group(ex::add.s(1, 1), ex::add.s(2, 2), ex::add.s(3, 3)));
    EXPECT_EQ(g.get(60.0), (std::vector<long>{2, 4, 6}));
    std::vector<shoal::task_signature<long, void>> header;
    for (long i = 1; i <= 100; ++i) header.push_back(ex::add.s(i, 0));
    auto total = client.submit(shoal::chord(shoal::group(header), ex::sum.s()));
    EXPECT_EQ(total.get(60.0), 5050);
    // A group's futures are arguments too: sum(<the list of its results>).
    auto again = client.submit(ex::sum, g);
    EXPECT_EQ(again.get(60.0), 12);
}

TEST_F(Workflows, AWordCountMapReduce) {
    const std::vector<std::string> parts{"the cat sat", "on the mat", "The end"};
    std::vector<shoal::task_signature<std::map<std::string, int>, void>> counts;
    counts.reserve(parts.size());
    for (const auto& p : parts) counts.push_back(ex::word_count.s(p));
    const auto merged =
        client.submit(shoal::chord(shoal::group(counts), ex::merge_counts.s())).get(60.0);
    EXPECT_EQ(merged.at("the"), 3);
    EXPECT_EQ(merged.at("mat"), 1);
    EXPECT_EQ(merged.size(), 6u);
}

TEST_F(Workflows, RevokingAnInputRevokesItsDependents) {
    auto slow = client.submit(ex::sleep, 30.0);
    auto next = client.submit(ex::sleep, slow);
    ASSERT_TRUE(
        wait_until([&] { return client.inspect("active").result(5.0).rows.size() == 1; }, 20.0));
    slow.cancel();
    EXPECT_THROW(next.get(60.0), shoal::cancelled_error);
}

TEST_F(Workflows, AWorkflowRunsToItsEndWithItsSubmitterGone) {
    shoal::proto::task_id last;
    {
        shoal::client gone(cluster.endpoint());
        last = gone.submit(shoal::chain(ex::sleep.s(1.0), ex::sleep.s(), ex::sleep.s())).id();
        ASSERT_TRUE(gone.flush(20.0));
    }  // closed while the first step sleeps: nobody is left to pass results on
    EXPECT_EQ(client.fetch<double>(last).get(60.0), 1.0);
}

}  // namespace

namespace {

TEST_F(Workflows, TheCliSubmitsAChainAGroupAndAChordInOneLine) {
    const auto chain = cluster.cli(
        {"submit", "add", "1", "2", "then", "mul", "10", "then", "add", "-1", "--wait"}, 60.0);
    EXPECT_EQ(chain.status, 0);
    EXPECT_EQ(chain.out, "29\n");
    const auto group =
        cluster.cli({"submit", "add", "1", "1", ",", "add", "2", "2", "--wait"}, 60.0);
    EXPECT_EQ(group.status, 0);
    EXPECT_EQ(group.out, "[2,4]\n");
    const auto chord = cluster.cli(
        {"submit", "add", "1", "1", ",", "add", "2", "2", "then", "sum", "--wait"}, 60.0);
    EXPECT_EQ(chord.status, 0);
    EXPECT_EQ(chord.out, "6\n");
    const auto ids = cluster.cli({"submit", "add", "1", "1", ",", "add", "2", "2"}, 60.0);
    EXPECT_EQ(ids.status, 0);
    EXPECT_EQ(ids.out.size(), 2 * 33u) << ids.out;  // two ids, one per line
    const auto failed =
        cluster.cli({"submit", "divide", "1", "0", "then", "add", "1", "--wait", "--json"}, 60.0);
    EXPECT_EQ(failed.status, 1);
    EXPECT_NE(failed.out.find("shoal::input_failed"), std::string::npos) << failed.out;
    EXPECT_NE(failed.out.find("divide: by zero"), std::string::npos) << failed.out;
    const auto bad = cluster.cli({"submit", "add", "1", "then", "then", "add", "2"}, 60.0);
    EXPECT_EQ(bad.status, 2);
}

}  // namespace

namespace {

TEST_F(Workflows, StarmapIsOneTaskPerItemAndTheResultsGatherInOrder) {
    const std::vector<std::tuple<long, long>> pairs{{1, 2}, {3, 4}, {5, 6}};
    auto sums = client.submit(shoal::starmap(ex::add, pairs));
    EXPECT_EQ(sums.size(), 3u);
    EXPECT_EQ(sums.get(60.0), (std::vector<long>{3, 7, 11}));
    // A one-argument task takes the items themselves.
    auto fibs = client.submit(shoal::starmap(ex::fib, std::vector<int>{10, 20}));
    EXPECT_EQ(fibs.get(60.0), (std::vector<long>{55, 6765}));
}

long submitted(shoal::client& c) {
    return std::stol(
        shoal::testing::field(c.inspect("stats").result(20.0).rows.at(0), "submitted"));
}

TEST_F(Workflows, ChunksRunManyCallsPerTaskOnTheLoopThreadsAndProcesses) {
    std::vector<std::tuple<long, long>> pairs;
    for (long i = 0; i < 1000; ++i) pairs.emplace_back(i, i);
    const long before = submitted(client);
    auto parts = client.submit(shoal::chunks(ex::add, pairs, 100));  // loop
    ASSERT_EQ(parts.size(), 10u);
    const auto lists = parts.get(60.0);
    EXPECT_EQ(submitted(client) - before, 10) << "1000 calls in 10 tasks";
    std::vector<long> flat;
    for (const auto& list : lists) flat.insert(flat.end(), list.begin(), list.end());
    ASSERT_EQ(flat.size(), 1000u);
    for (long i = 0; i < 1000; ++i) EXPECT_EQ(flat[static_cast<std::size_t>(i)], 2 * i);

    // The thread pool, a last chunk shorter than the others.
    std::vector<int> ns;
    for (int n = 1; n <= 20; ++n) ns.push_back(n);
    const auto fibs = client.submit(shoal::chunks(ex::fib, ns, 7)).get(60.0);
    ASSERT_EQ(fibs.size(), 3u);
    EXPECT_EQ(fibs[2].size(), 6u);
    EXPECT_EQ(fibs[0].front(), 1);
    EXPECT_EQ(fibs[2].back(), 6765);

    // The process pool: each call in a child, one after another.
    const auto counts =
        client.submit(shoal::chunks(ex::count, std::vector<long>{0, 1, 2}, 2)).get(120.0);
    EXPECT_EQ(counts, (std::vector<std::vector<long>>{{0, 10'000'000}, {20'000'000}}));
}

TEST_F(Workflows, AChunkFailsWithTheErrorOfItsFirstFailingCall) {
    const std::vector<std::tuple<long, long>> calls{{6, 3}, {1, 0}, {8, 2}};
    auto parts = client.submit(shoal::chunks(ex::divide, calls, 3));
    ASSERT_EQ(parts.size(), 1u);
    const auto [type, message] = error_of(parts.futures().at(0));
    EXPECT_EQ(type, "std::domain_error");
    EXPECT_NE(message.find("by zero"), std::string::npos) << message;
}

}  // namespace
