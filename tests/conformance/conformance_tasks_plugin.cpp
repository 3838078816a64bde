// The conformance suite's tasks for the stock daemon (README.md, "The tasks"):
//   shoal-worker --tasks libshoal_conformance_tasks_plugin.so
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance_tasks.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/worker/plugin.hpp"

namespace {

using namespace shoal_conformance;

shoal::task<long> add_numbers(long a, long b) {
    long sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) throw std::overflow_error("add: the sum overflows");
    co_return sum;
}

// On the loop, without blocking it: other tasks of this worker run meanwhile.
shoal::task<long> sleep_for_ms(long ms) {
    if (ms < 0) throw std::invalid_argument("sleep_ms: ms must not be negative");
    co_await shoal::sleep(std::chrono::milliseconds(ms));
    co_return ms;
}

// One line per run; the runs before the file holds more than `times` lines ask to be retried.
long append_and_count(const std::string& path, long times) {
    {
        std::ofstream out(path, std::ios::app);
        out << "run\n";
        out.flush();
        if (!out) throw std::runtime_error("flaky: cannot append to " + path);
    }
    std::ifstream in(path);
    long lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    if (lines <= times) {
        throw shoal::retry_task(
            std::chrono::milliseconds(50),
            "flaky: " + std::to_string(lines) + " of " + std::to_string(times + 1) + " runs");
    }
    return lines;
}

shoal::task<std::vector<char>> echo_bytes(std::vector<char> data) { co_return data; }

shoal::task<long> negate(long n) {
    long negated = 0;
    if (__builtin_sub_overflow(0L, n, &negated))
        throw std::overflow_error("cpp_negate: -n overflows");
    co_return negated;
}

}  // namespace

SHOAL_TASK_PLUGIN(registry) {
    registry.define(add, add_numbers, shoal::run_on::loop);
    registry.define(
        fail, [](const std::string& message) { throw std::runtime_error(message); },
        shoal::run_on::thread_pool);
    registry.define(sleep_ms, sleep_for_ms, shoal::run_on::loop);
    registry.define(flaky, append_and_count, shoal::run_on::thread_pool);
    registry.define(echo, echo_bytes, shoal::run_on::loop);
    registry.define(cpp_negate, negate, shoal::run_on::loop);
}
