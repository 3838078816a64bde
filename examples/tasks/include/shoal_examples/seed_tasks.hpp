#pragma once
// The seed task library: the tasks the README, the demo cluster and the integration tests
// use. A client and a worker both include this header; the declarations are the contract.
//
// clang-format off
//   task         signature                                   runs on        what it does
//   add          long(long, long)                            loop           a + b (std::overflow_error on overflow)
//   noop         void()                                      loop           nothing (for throughput runs)
//   sleep        double(double seconds)                      loop           co_await shoal::sleep(seconds); returns seconds
//   factorial    std::string(int n)                          thread pool    n! in decimal, exact (0 <= n <= 10000)
//   fib          long(int n)                                 thread pool    Fibonacci by naive recursion (0 <= n <= 50): CPU time
//   count        long(long number)                           process pool   the seeds' count loop: 10,000,000 * number
//   count_longer long(long number, long rounds)              process pool   the same loop run 10,000,000 * rounds times
//                                                                           (1..1000), same result: more of the same work
//   word_count   std::map<std::string, int>(std::string)     thread pool    lower-cased words (letters and digits) counted
//   fail         void(std::string message)                   thread pool    throws std::runtime_error(message)
//   add_all      long(std::vector<long>)                     loop           the sum, as rounds of `add` subtasks awaited
//                                                                           without a slot (a tree: log2(n) rounds)
//   crash        long(long)                                  process pool   never returns: its child dies of SIGSEGV
//   spin         double(double seconds)                      thread pool    busy-waits that long, returns it: a CPU task of
//                                                                           known length (bench/: task granularity)
//   now_ns       long(double seconds)                        loop           co_await shoal::sleep(seconds); returns the wall
//                                                                           clock in ns: a different value every run (fault
//                                                                           tests: which run's result a client was shown)
//   blob         std::string(long bytes, long seed)          loop           blob_text(bytes, seed): a result of a chosen size
//                                                                           (0..16 MiB) that the caller can check
//   fib_fanout   long(int n)                                 loop           Fibonacci as a tree of subtasks (0 <= n <= 25):
//                                                                           co_await gather(subtask(n-1), subtask(n-2))
//   fib_by       long(int n, std::string how)                loop           the same tree, awaited as a newcomer might write it
//                                                                           (0 <= n <= 20): how = "co_await" (each remote future
//                                                                           from client().submit), "gather" (of wrap_futures),
//                                                                           "wait", "as_completed", "wait_for", "create_task"
//                                                                           (subtasks gathered in a task it creates)
//   block_loop   double(double seconds)                      loop           blocks the worker's loop thread that long (0..60):
//                                                                           what a loop task must never do (the worker goes
//                                                                           on heartbeating and reports the blocked loop)
//   mul          long(long, long)                            loop           a * b (std::overflow_error on overflow)
//   divide       long(long, long)                            loop           a / b (std::domain_error when b is 0): a task
//                                                                           that fails on some inputs (workflow tests)
//   sum          long(std::vector<long>)                     loop           the sum, at once (a chord's callback)
//   merge_counts std::map<std::string, int>(                 thread pool    word counts added up: the reduce step of the
//                  std::vector<std::map<std::string, int>>)                 word-count map-reduce (examples/cluster)
//   journal_sum  long(std::vector<long>, std::string path)   thread pool    the sum, and a line with it appended to the file
//                                                                           `path`: each run leaves a line (exactly-once tests)
//
// clang-format on
// Link shoal_seed_tasks to compile them into your own worker (define_seed_tasks), or load
// libshoal_seed_tasks_plugin.so into the stock daemon: shoal-worker --tasks <path>.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shoal/common/task_def.hpp"

namespace shoal {
class task_registry;
}

namespace shoal_examples {

inline constexpr shoal::task_def<long(long, long)> add{"add"};
inline constexpr shoal::task_def<void()> noop{"noop"};
inline constexpr shoal::task_def<double(double)> sleep{"sleep"};
inline constexpr shoal::task_def<std::string(int)> factorial{"factorial"};
inline constexpr shoal::task_def<long(int)> fib{"fib"};
inline constexpr shoal::task_def<long(long)> count{"count"};
inline constexpr shoal::task_def<long(long, long)> count_longer{"count_longer"};
inline constexpr shoal::task_def<std::map<std::string, int>(std::string)> word_count{"word_count"};
inline constexpr shoal::task_def<void(std::string)> fail{"fail"};
inline constexpr shoal::task_def<long(std::vector<long>)> add_all{"add_all"};
inline constexpr shoal::task_def<long(long)> crash{"crash"};
inline constexpr shoal::task_def<double(double)> spin{"spin"};
inline constexpr shoal::task_def<long(double)> now_ns{"now_ns"};
inline constexpr shoal::task_def<std::string(long, long)> blob{"blob"};
inline constexpr shoal::task_def<long(int)> fib_fanout{"fib_fanout"};
inline constexpr shoal::task_def<long(int, std::string)> fib_by{"fib_by"};
inline constexpr shoal::task_def<double(double)> block_loop{"block_loop"};
inline constexpr shoal::task_def<long(long, long)> mul{"mul"};
inline constexpr shoal::task_def<long(long, long)> divide{"divide"};
inline constexpr shoal::task_def<long(std::vector<long>)> sum{"sum"};
inline constexpr shoal::task_def<std::map<std::string, int>(
    std::vector<std::map<std::string, int>>)>
    merge_counts{"merge_counts"};
inline constexpr shoal::task_def<long(std::vector<long>, std::string)> journal_sum{"journal_sum"};

// What blob(bytes, seed) returns: `bytes` printable characters that depend on the seed and on
// the position, so that a result mixed up with another task's, or cut short, is seen.
inline std::string blob_text(long bytes, long seed) {
    std::string out(static_cast<std::size_t>(bytes < 0 ? 0 : bytes), ' ');
    std::uint64_t x = static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull + 1;
    for (char& c : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>('a' + x % 26);
    }
    return out;
}

// Defines every task above in `registry`, each on the place the table gives.
void define_seed_tasks(shoal::task_registry& registry);

}  // namespace shoal_examples
