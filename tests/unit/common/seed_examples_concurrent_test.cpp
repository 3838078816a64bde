// The seeds' examples that use threads: run_in_executor, call_soon_threadsafe,
// run_coroutine_threadsafe and count() in a ThreadPoolExecutor (examples/seeds).

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "seed_examples.hpp"
#include "text_lines.hpp"

namespace seeds = shoal::seeds;

namespace {

using shoal::testing::lines_of;

// Lines that contain `needle`, in order.
std::vector<std::string> grep(const std::vector<std::string>& lines, const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& l : lines) {
        if (l.find(needle) != std::string::npos) out.push_back(l);
    }
    return out;
}

}  // namespace

TEST(SeedExecutor, FactorialSleepsOverlapInTheDefaultExecutor) {
    // Sequentially the blocking sleeps add up to 6 units; in the executor the three tasks
    // overlap, so it takes about as long as C (3 units). Less than the sum is the check: the
    // 3 units between leave room for a busy machine (at 0.1 s a unit, a bound of 5 units
    // failed under load).
    constexpr double unit = 0.25;
    std::ostringstream out;
    const double elapsed = seeds::factorial_run_in_executor(out, unit);
    EXPECT_GE(elapsed, 3 * unit);
    EXPECT_LT(elapsed, 6 * unit);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 9u);
    // Which executor thread finishes first is the OS's choice; each task's own lines are ordered.
    EXPECT_EQ(grep(lines, "Task C"),
              (std::vector<std::string>{
                  "Task C: Compute factorial(2)...", "Task C: Compute factorial(3)...",
                  "Task C: Compute factorial(4)...", "Task C: factorial(4) = 24"}));
    EXPECT_EQ(grep(lines, "Task A"), (std::vector<std::string>{"Task A: Compute factorial(2)...",
                                                               "Task A: factorial(2) = 2"}));
    EXPECT_EQ(grep(lines, "Task B").back(), "Task B: factorial(3) = 6");
    // The first step of every task starts before any sleep ends.
    EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 3),
              (std::vector<std::string>{"Task A: Compute factorial(2)...",
                                        "Task B: Compute factorial(2)...",
                                        "Task C: Compute factorial(2)..."}));
}

TEST(SeedExecutor, BlockingSleepsTakeTheLongestNotTheSum) {
    std::ostringstream out;
    const double elapsed = seeds::blocking_sleeps_in_executor(out, {0.2, 0.4, 0.6});
    EXPECT_GE(elapsed, 0.6);
    EXPECT_LT(elapsed, 1.2);  // the sum; the 0.6 s between leave room for a busy machine
    const auto done = grep(lines_of(out.str()), ") done");
    EXPECT_EQ(done, (std::vector<std::string>{"time.sleep(0.2) done", "time.sleep(0.4) done",
                                              "time.sleep(0.6) done"}));
}

TEST(SeedThreadsafe, CallSoonThreadsafeRunsOnTheLoopThreadInOrder) {
    constexpr double unit = 0.03;
    std::ostringstream out;
    const auto r = seeds::call_soon_threadsafe_example(out, unit);
    EXPECT_NE(r.loop_thread, std::thread::id());
    EXPECT_NE(r.loop_thread, r.caller_thread);
    EXPECT_EQ(r.callback_threads, (std::vector<std::thread::id>{r.loop_thread, r.loop_thread}));
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].rfind("TIME: ", 0), 0u);
    EXPECT_EQ(std::vector<std::string>(lines.begin() + 1, lines.end()),
              (std::vector<std::string>{"More work 6", "Finished more work 6", "More work 3",
                                        "Finished more work 3"}));
    EXPECT_GE(r.elapsed, 9 * unit);  // blocking callbacks run one after the other
}

TEST(SeedThreadsafe, RunCoroutineThreadsafeRunsBothCoroutinesOnTheLoop) {
    constexpr double unit = 0.05;
    std::ostringstream out;
    const auto r = seeds::run_coroutine_threadsafe_example(out, unit);
    EXPECT_NE(r.loop_thread, r.caller_thread);
    EXPECT_EQ(r.callback_threads, (std::vector<std::thread::id>{r.loop_thread, r.loop_thread}));
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].rfind("TIME: ", 0), 0u);
    EXPECT_EQ(
        std::vector<std::string>(lines.begin() + 1, lines.end()),
        (std::vector<std::string>{"Waiting 6", "Waiting 4", "Done after 4s", "Done after 6s"}));
    EXPECT_GE(r.elapsed, 6 * unit);
    EXPECT_LT(r.elapsed, 10 * unit);  // concurrent on the loop: not 6 + 4
}

TEST(SeedCount, ThreadPoolPrintsEveryItemOnce) {
    constexpr long iterations = 100'000;
    std::ostringstream out;
    const auto r = seeds::count_thread_pool(out, iterations, 5);
    auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 11u);
    EXPECT_EQ(lines.back().rfind("Thread Pool Execution in ", 0), 0u);
    lines.pop_back();
    std::set<std::string> expected_lines;
    std::set<std::pair<long, long>> expected_items;
    for (long i = 1; i <= 10; ++i) {
        expected_lines.insert("Item " + std::to_string(i) + ", result " +
                              std::to_string(i * iterations));
        expected_items.emplace(i, i * iterations);
    }
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), expected_lines);
    ASSERT_EQ(r.items.size(), 10u);
    EXPECT_EQ((std::set<std::pair<long, long>>(r.items.begin(), r.items.end())), expected_items);
}
