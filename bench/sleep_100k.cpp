// One wall-clock run: 100,000 concurrent tasks each co_await shoal::sleep(1.0), awaited
// together with gather. Prints, as one JSON object on stdout:
//   tasks         how many tasks slept
//   sleep_s       the delay each one slept
//   wall_s        seconds from creating the first task until the gather finished
//   peak_rss_mb   the process's peak resident set (getrusage ru_maxrss, KiB -> MiB)
// bench/asyncio_peer.py does the same with asyncio.sleep and asyncio.gather.

#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <utility>
#include <vector>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"

namespace {

constexpr std::size_t task_count = 100'000;
constexpr double sleep_seconds = 1.0;
constexpr double kib_per_mib = 1024.0;

shoal::task<int> sleeper() {
    co_await shoal::sleep(sleep_seconds);
    co_return 1;
}

shoal::task<std::size_t> sleep_all(shoal::event_loop& loop) {
    std::vector<shoal::future<int>> tasks;
    tasks.reserve(task_count);
    for (std::size_t i = 0; i < task_count; ++i) {
        tasks.push_back(loop.create_task(sleeper()));
    }
    std::vector<int> results = co_await shoal::gather(std::move(tasks));
    co_return results.size();
}

}  // namespace

int main() {
    shoal::event_loop loop;
    const auto start = std::chrono::steady_clock::now();
    const std::size_t finished = loop.run_until_complete(sleep_all(loop));
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("{\"tasks\": %zu, \"sleep_s\": %.1f, \"wall_s\": %.4f, \"peak_rss_mb\": %.1f}\n",
                finished, sleep_seconds, wall.count(),
                static_cast<double>(usage.ru_maxrss) / kib_per_mib);
    return finished == task_count ? 0 : 1;
}
