// Loop tasks on a real broker and a real worker with one slot (issue 12):
//   - a recursive fan-out through gather(subtask, subtask) gives each waiting parent's slot
//     back, so fib_fanout(15) (1,973 tasks) runs there, and an unrelated task still runs;
//   - a loop task that blocks the worker's loop for longer than the broker's liveness window
//     does not get the worker declared dead (its heartbeats do not depend on the loop), the
//     task running beside it is not dead-lettered, and the worker names the blocking task.
#include <chrono>
#include <exception>
#include <string>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::local_cluster;

// Fibonacci by plain recursion, for the expected value.
long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

// The worker's stderr (its log) on its stdout, so that the test can read it line by line.
const std::vector<std::string> log_to_stdout{"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"};

template <class T>
std::string outcome_of(shoal::remote_future<T>& f, double timeout_s) {
    try {
        return std::to_string(f.get(timeout_s));
    } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
    }
}

TEST(Fanout, ARecursiveGatherOfSubtasksRunsOnAWorkerWithOneSlot) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("one-slot", {"--concurrency", "1"});
    shoal::client client(cluster.endpoint());
    auto tree = client.submit(shoal_examples::fib_fanout, 15);
    auto unrelated = client.submit(shoal_examples::add, 2, 3);
    // Generous: 1,973 tasks through one slot take well under a second on an idle machine.
    EXPECT_EQ(outcome_of(tree, 60.0), std::to_string(fib(15)));
    EXPECT_EQ(outcome_of(unrelated, 30.0), "5");
}

TEST(Fanout, ARecursiveGatherOfSubtasksRunsWithoutPrefetchEither) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("one-slot", {"--concurrency", "1", "--prefetch", "0"});
    shoal::client client(cluster.endpoint());
    auto tree = client.submit(shoal_examples::fib_fanout, 10);
    EXPECT_EQ(outcome_of(tree, 60.0), std::to_string(fib(10)));
    auto unrelated = client.submit(shoal_examples::add, 40, 2);
    EXPECT_EQ(outcome_of(unrelated, 30.0), "42");
}

// Every way a loop task can wait on remote work gives its slot back, not only subtask() and
// without_slot(): a bare co_await of client().submit's futures, gather/wait/as_completed/
// wait_for over wrap_futures, and subtask() from a task the job created. Before the loop
// told the worker about remote waits (at 9c50ca2), each of these stalled on one slot.
class FanoutEveryWay : public ::testing::TestWithParam<const char*> {};

TEST_P(FanoutEveryWay, ARecursiveTreeAwaitedThisWayRunsOnAWorkerWithOneSlot) {
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("one-slot", {"--concurrency", "1"});
    shoal::client client(cluster.endpoint());
    auto tree = client.submit(shoal_examples::fib_by, 8, std::string(GetParam()));  // 67 tasks
    auto unrelated = client.submit(shoal_examples::add, 2, 3);
    EXPECT_EQ(outcome_of(tree, 60.0), std::to_string(fib(8)));
    EXPECT_EQ(outcome_of(unrelated, 30.0), "5");
}

INSTANTIATE_TEST_SUITE_P(Ways, FanoutEveryWay,
                         ::testing::Values("co_await", "gather", "wait", "as_completed", "wait_for",
                                           "create_task"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                             std::string name = param.param;
                             std::erase(name, '_');
                             return name;
                         });

TEST(BlockedLoop, AWorkerWhoseLoopIsBlockedStaysAliveAndNamesTheTask) {
    // Liveness 100 ms x 10: the 3 s block is three windows long, and a busy machine that delays
    // the link thread's heartbeats by less than 1 s kills nobody either. One death is enough
    // to dead-letter a task.
    local_cluster cluster({"--heartbeat-ms", "100", "--liveness", "10", "--max-attempts", "1"});
    ASSERT_FALSE(cluster.endpoint().empty());
    const std::size_t w = cluster.add_worker("blocked", {"--concurrency", "2"}, log_to_stdout);
    shoal::client client(cluster.endpoint());
    // Three times the liveness window; the sleeping task runs beside it, STARTED with it.
    auto beside = client.submit(shoal_examples::sleep, 1.0);
    auto blocker = client.submit(shoal_examples::block_loop, 3.0);
    EXPECT_EQ(outcome_of(blocker, 60.0), "3.000000");
    EXPECT_EQ(outcome_of(beside, 60.0), "1.000000");
    auto after = client.submit(shoal_examples::add, 1, 2);
    EXPECT_EQ(outcome_of(after, 30.0), "3");

    // The worker's log names the blocking task, once, with how long it blocked.
    const std::string id = blocker.id().to_hex();
    bool named = false;
    std::string seen;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int lines = 0; !named && lines < 10'000 && std::chrono::steady_clock::now() < until;
         ++lines) {
        const auto line = cluster.worker(w).read_line(20.0);
        if (!line) break;
        seen += *line + "\n";
        named = line->find("blocked the loop for") != std::string::npos &&
                line->find("block_loop") != std::string::npos &&
                line->find(id) != std::string::npos;
    }
    EXPECT_TRUE(named) << "no line names task block_loop " << id
                       << " as blocking the loop; the log:\n"
                       << seen;
}

}  // namespace
