// The seeds' count() through a ProcessPoolExecutor (examples/seeds). Not a _concurrent_
// test: process pools fork, which the TSan build does not run.

#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "seed_examples.hpp"
#include "shoal/common/function_registry.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "text_lines.hpp"

namespace seeds = shoal::seeds;

namespace {

using shoal::testing::lines_of;

std::set<std::string> item_lines(long iterations) {
    std::set<std::string> lines;
    for (long i = 1; i <= 10; ++i) {
        lines.insert("Item " + std::to_string(i) + ", result " + std::to_string(i * iterations));
    }
    return lines;
}

}  // namespace

TEST(SeedCountProcess, RegisteredCountRunsInAChild) {
    seeds::register_seed_functions();
    seeds::register_seed_functions();  // idempotent
    ASSERT_TRUE(shoal::function_registry::global().contains(seeds::count_task.name()));
    shoal::process_pool_executor pool(2);
    EXPECT_EQ(pool.submit(seeds::count_task, 5, 1000).result(), 5000);
    EXPECT_EQ(pool.submit(seeds::count_task, 7, 10'000'000).result(), 70'000'000);
}

TEST(SeedCountProcess, ProcessPoolPrintsEveryItemOnce) {
    constexpr long iterations = 100'000;
    std::ostringstream out;
    const auto r = seeds::count_process_pool(out, iterations, 5);
    auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 11u);
    EXPECT_EQ(lines.back().rfind("Process Pool Execution in ", 0), 0u);
    lines.pop_back();
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), item_lines(iterations));
    ASSERT_EQ(r.items.size(), 10u);
    for (const auto& [item, result] : r.items) EXPECT_EQ(result, item * iterations);
}

TEST(SeedCountProcess, EvaluateItemSequentialThenPoolsWithAsCompleted) {
    constexpr long iterations = 10'000;
    std::ostringstream out;
    const auto reports = seeds::count_evaluate_item(out, iterations);
    ASSERT_EQ(reports.size(), 3u);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 33u);
    // Sequential: the results in item order.
    for (long i = 1; i <= 10; ++i) {
        EXPECT_EQ(lines[static_cast<std::size_t>(i - 1)], std::to_string(i * iterations));
    }
    EXPECT_EQ(lines[10].rfind("Sequential execution in ", 0), 0u);
    EXPECT_EQ(lines[21].rfind("Thread pool execution in ", 0), 0u);
    EXPECT_EQ(lines[32].rfind("Process pool execution in ", 0), 0u);
    std::set<std::string> expected;
    for (long i = 1; i <= 10; ++i) expected.insert(std::to_string(i * iterations));
    EXPECT_EQ(std::set<std::string>(lines.begin() + 11, lines.begin() + 21), expected);
    EXPECT_EQ(std::set<std::string>(lines.begin() + 22, lines.begin() + 32), expected);
    for (const auto& report : reports) {
        ASSERT_EQ(report.items.size(), 10u);
        for (const auto& [item, result] : report.items) EXPECT_EQ(result, item * iterations);
    }
}
