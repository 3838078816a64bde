// The seeds' count example (seed 002, "Using thread and process pools"): for each number in
// 1..10, count to 10,000,000 and return the count times the number. Run sequentially,
// through a thread_pool_executor(5) and through a process_pool_executor(2), as the seed does
// with concurrent.futures. Prints one JSON object on stdout:
//   sequential_s        wall seconds for the ten calls in a row
//   thread_pool_s       wall seconds with thread_pool_executor(5): construct, submit all,
//                       collect every result, shut down (the seed's `with` block)
//   process_pool_s      the same with process_pool_executor(2)
//   process_pool_warm_s the process pool's submit-to-last-result time alone, pool already up
//   speedup_process_pool  sequential_s / process_pool_s
//   speedup_thread_pool   sequential_s / thread_pool_s
// The machine has 2 cores, so 2 processes is the most that can help.

#include <chrono>
#include <cstdio>
#include <vector>

#include "shoal/common/function_registry.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/common/thread_pool_executor.hpp"

namespace {

constexpr long loop_count = 10'000'000;
constexpr long first_number = 1;
constexpr long last_number = 10;
constexpr std::size_t thread_workers = 5;
constexpr std::size_t process_workers = 2;

// The seed's `for i in range(0, 10000000): i = i + 1` then `return i * number`. The empty asm
// makes i opaque at every step, so the compiler must run all ten million increments instead
// of folding the loop to a constant.
long count(long number) {
    long i = 0;
    for (long step = 0; step < loop_count; ++step) {
        i = step + 1;
        asm volatile("" : "+r"(i));
    }
    return i * number;
}

std::vector<long> numbers() {
    std::vector<long> v;
    for (long n = first_number; n <= last_number; ++n) {
        v.push_back(n);
    }
    return v;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Every result must be count(n) = 10,000,000 * n, whichever way it was computed.
bool check(const std::vector<long>& results) {
    const auto input = numbers();
    for (std::size_t k = 0; k < input.size(); ++k) {
        if (results.at(k) != loop_count * input[k]) {
            return false;
        }
    }
    return results.size() == input.size();
}

inline constexpr shoal::task_def<long(long)> count_def{"bench.count"};

}  // namespace

int main() {
    // Before any pool exists: the process pool snapshots the registry when constructed.
    shoal::function_registry::global().define(count_def, [](long n) { return count(n); });
    bool ok = true;

    auto start = std::chrono::steady_clock::now();
    std::vector<long> results;
    for (long n : numbers()) {
        results.push_back(count(n));
    }
    const double sequential = seconds_since(start);
    ok = ok && check(results);

    start = std::chrono::steady_clock::now();
    {
        shoal::thread_pool_executor pool(thread_workers);
        std::vector<shoal::concurrent::future<long>> futures;
        for (long n : numbers()) {
            futures.push_back(pool.submit(count, n));
        }
        results.clear();
        for (auto& f : futures) {
            results.push_back(f.result());
        }
    }
    const double threads = seconds_since(start);
    ok = ok && check(results);

    start = std::chrono::steady_clock::now();
    double processes_warm = 0;
    {
        shoal::process_pool_executor pool(process_workers);
        const auto submitted = std::chrono::steady_clock::now();
        std::vector<shoal::concurrent::future<long>> futures;
        for (long n : numbers()) {
            futures.push_back(pool.submit(count_def, n));
        }
        results.clear();
        for (auto& f : futures) {
            results.push_back(f.result());
        }
        processes_warm = seconds_since(submitted);
    }
    const double processes = seconds_since(start);
    ok = ok && check(results);

    std::printf(
        "{\"items\": %ld, \"loop_count\": %ld, \"thread_workers\": %zu, \"process_workers\": %zu, "
        "\"sequential_s\": %.4f, \"thread_pool_s\": %.4f, \"process_pool_s\": %.4f, "
        "\"process_pool_warm_s\": %.4f, \"speedup_thread_pool\": %.2f, "
        "\"speedup_process_pool\": %.2f, \"results_ok\": %s}\n",
        last_number - first_number + 1, loop_count, thread_workers, process_workers, sequential,
        threads, processes, processes_warm, sequential / threads, sequential / processes,
        ok ? "true" : "false");
    return ok ? 0 : 1;
}
