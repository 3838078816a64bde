#include "shoal_examples/seed_tasks.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "seed_examples.hpp"
#include "shoal/client/combinators.hpp"
#include "shoal/common/as_completed.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/wait.hpp"
#include "shoal/common/wait_for.hpp"
#include "shoal/worker/subtask.hpp"
#include "shoal/worker/task_registry.hpp"
#include "shoal/worker/worker_context.hpp"

namespace shoal_examples {
namespace {

constexpr int max_factorial = 10'000;
constexpr int max_fib = 50;

shoal::task<long> add_numbers(long a, long b) {
    long sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
        throw std::overflow_error("add: the sum overflows a long");
    co_return sum;
}

shoal::task<long> multiply(long a, long b) {
    long product = 0;
    if (__builtin_mul_overflow(a, b, &product))
        throw std::overflow_error("mul: the product overflows a long");
    co_return product;
}

shoal::task<long> divide_by(long a, long b) {
    if (b == 0) throw std::domain_error("divide: by zero");
    co_return a / b;
}

shoal::task<long> sum_of(std::vector<long> numbers) {
    long total = 0;
    for (const long n : numbers) {
        if (__builtin_add_overflow(total, n, &total))
            throw std::overflow_error("sum: the total overflows a long");
    }
    co_return total;
}

std::map<std::string, int> merge_word_counts(const std::vector<std::map<std::string, int>>& parts) {
    std::map<std::string, int> total;
    for (const auto& part : parts) {
        for (const auto& [word, n] : part) total[word] += n;
    }
    return total;
}

long sum_and_journal(const std::vector<long>& numbers, const std::string& path) {
    long total = 0;
    for (const long n : numbers) {
        if (__builtin_add_overflow(total, n, &total))
            throw std::overflow_error("journal_sum: the total overflows a long");
    }
    std::ofstream journal(path, std::ios::app);
    journal << total << '\n';
    journal.flush();
    if (!journal) throw std::runtime_error("journal_sum: cannot append to " + path);
    return total;
}

shoal::task<void> do_nothing() { co_return; }

shoal::task<double> sleep_for(double seconds) {
    co_await shoal::sleep(seconds);
    co_return seconds;
}

// Schoolbook multiplication in base 1e9 limbs, least significant first.
std::string factorial_of(int n) {
    if (n < 0 || n > max_factorial) {
        throw std::invalid_argument("factorial: n must be in 0.." + std::to_string(max_factorial));
    }
    std::vector<std::uint32_t> limbs{1};
    for (int i = 2; i <= n; ++i) {
        std::uint64_t carry = 0;
        for (auto& limb : limbs) {
            const std::uint64_t v = std::uint64_t{limb} * static_cast<std::uint64_t>(i) + carry;
            limb = static_cast<std::uint32_t>(v % 1'000'000'000);
            carry = v / 1'000'000'000;
        }
        for (; carry != 0; carry /= 1'000'000'000)
            limbs.push_back(static_cast<std::uint32_t>(carry % 1'000'000'000));
    }
    std::ostringstream text;
    text << limbs.back();
    for (auto it = limbs.rbegin() + 1; it != limbs.rend(); ++it)
        text << std::setw(9) << std::setfill('0') << *it;
    return text.str();
}

long naive_fib(int n) { return n < 2 ? n : naive_fib(n - 1) + naive_fib(n - 2); }

long fibonacci(int n) {
    if (n < 0 || n > max_fib)
        throw std::invalid_argument("fib: n must be in 0.." + std::to_string(max_fib));
    return naive_fib(n);
}

std::map<std::string, int> count_words(const std::string& text) {
    std::map<std::string, int> counts;
    std::string word;
    for (const char c : text + ' ') {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) {
            word += static_cast<char>(std::tolower(u));
        } else if (!word.empty()) {
            ++counts[word];
            word.clear();
        }
    }
    return counts;
}

// Pairs summed by `add` subtasks, round after round, until one number is left. Each round's
// subtasks run anywhere in the cluster (this worker included: the slot is given back while
// they run).
shoal::task<long> add_all_numbers(std::vector<long> numbers) {
    if (numbers.empty()) co_return 0;
    shoal::client& client = shoal::worker_context::current().client();
    while (numbers.size() > 1) {
        std::vector<shoal::remote_future<long>> round;
        for (std::size_t i = 0; i + 1 < numbers.size(); i += 2) {
            round.push_back(client.submit(add, numbers[i], numbers[i + 1]));
        }
        std::vector<long> sums =
            co_await shoal::without_slot(shoal::gather(shoal::wrap_futures(round)));
        if (numbers.size() % 2 == 1) sums.push_back(numbers.back());
        numbers = std::move(sums);
    }
    co_return numbers.front();
}

// C++ runs the seeds' count (10^7 increments) in milliseconds, where Python takes about 0.4 s:
// a benchmark of parallel speedup needs tasks long enough that overheads do not decide it.
long count_rounds(long number, long rounds) {
    if (rounds < 1 || rounds > 1000)
        throw std::invalid_argument("count_longer: rounds must be in 1..1000");
    const long counted = shoal::seeds::count(1, shoal::seeds::seed_count_iterations * rounds);
    return counted / rounds * number;  // what count(number) returns
}

// Busy, not asleep: the thread is taken for the whole time, as a computation would take it.
double spin_for(double seconds) {
    if (!(seconds >= 0.0 && seconds <= 60.0))
        throw std::invalid_argument("spin: seconds must be in 0..60");
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
    }
    return seconds;
}

shoal::task<long> now_after(double seconds) {
    co_await shoal::sleep(seconds);
    co_return static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
}

constexpr long max_blob_bytes = 16L << 20;

shoal::task<std::string> blob_of(long bytes, long seed) {
    if (bytes < 0 || bytes > max_blob_bytes) {
        throw std::invalid_argument("blob: bytes must be in 0.." + std::to_string(max_blob_bytes));
    }
    co_return blob_text(bytes, seed);
}

constexpr int max_fib_fanout = 25;  // fib_fanout(25) is 242,785 tasks

// The natural fan-out: both halves submitted at once and gathered. Each waiting parent gives
// its slot back (subtask.hpp), so any number of levels runs on a worker with one slot.
shoal::task<long> fib_as_subtasks(int n) {
    if (n < 0 || n > max_fib_fanout) {
        throw std::invalid_argument("fib_fanout: n must be in 0.." +
                                    std::to_string(max_fib_fanout));
    }
    if (n < 2) co_return n;
    auto [a, b] = co_await shoal::gather(shoal::subtask(fib_fanout, n - 1),
                                         shoal::subtask(fib_fanout, n - 2));
    co_return a + b;
}

constexpr int max_fib_by = 20;

// fib_by's two halves, each awaited the way `how` names: every way a task can wait on remote
// work gives its slot back while it waits, so any of them runs on a worker with one slot.
shoal::task<long> fib_halves(int n, std::string how) {
    auto& client = shoal::worker_context::current().client();
    if (how == "create_task") {
        // subtask() from a task this one created: the created task inherits this job.
        auto& loop = shoal::event_loop::current();
        auto both = loop.create_task([](int m) -> shoal::task<long> {
            auto [a, b] =
                co_await shoal::gather(shoal::subtask(fib_by, m - 1, std::string("create_task")),
                                       shoal::subtask(fib_by, m - 2, std::string("create_task")));
            co_return a + b;
        }(n));
        co_return co_await both;
    }
    std::vector<shoal::remote_future<long>> halves{client.submit(fib_by, n - 1, how),
                                                   client.submit(fib_by, n - 2, how)};
    if (how == "co_await") {
        const long a = co_await halves[0];
        const long b = co_await halves[1];
        co_return a + b;
    }
    auto futures = shoal::wrap_futures(halves);
    long sum = 0;
    if (how == "gather") {
        for (long part : co_await shoal::gather(std::move(futures))) sum += part;
    } else if (how == "wait") {
        auto done = co_await shoal::wait(std::move(futures));
        for (auto& f : done.done) sum += f.result();
    } else if (how == "as_completed") {
        auto each = shoal::as_completed(std::move(futures));
        while (auto f = co_await each.next()) sum += f->result();
    } else {  // "wait_for"
        for (auto& f : futures) sum += co_await shoal::wait_for(std::move(f), 600.0);
    }
    co_return sum;
}

shoal::task<long> fib_awaited_by(int n, std::string how) {
    if (n < 0 || n > max_fib_by) {
        throw std::invalid_argument("fib_by: n must be in 0.." + std::to_string(max_fib_by));
    }
    static const std::vector<std::string> ways{"co_await",     "gather",   "wait",
                                               "as_completed", "wait_for", "create_task"};
    if (std::find(ways.begin(), ways.end(), how) == ways.end()) {
        throw std::invalid_argument(
            "fib_by: how must be co_await, gather, wait, as_completed, wait_for or create_task");
    }
    if (n < 2) co_return n;
    co_return co_await fib_halves(n, std::move(how));
}

// Sleeps the loop's thread instead of awaiting: nothing else on this worker's loop runs
// meanwhile. Its heartbeats do not depend on the loop, and the worker logs the blocked loop
// with this task's name and id.
shoal::task<double> block_the_loop(double seconds) {
    if (!(seconds >= 0.0 && seconds <= 60.0)) {
        throw std::invalid_argument("block_loop: seconds must be in 0..60");
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    co_return seconds;
}

}  // namespace

void define_seed_tasks(shoal::task_registry& registry) {
    registry.define(add, add_numbers, shoal::run_on::loop);
    registry.define(noop, do_nothing, shoal::run_on::loop);
    registry.define(sleep, sleep_for, shoal::run_on::loop);
    registry.define(factorial, factorial_of, shoal::run_on::thread_pool);
    registry.define(fib, fibonacci, shoal::run_on::thread_pool);
    registry.define(
        count, [](long number) { return shoal::seeds::count(number); },
        shoal::run_on::process_pool);
    registry.define(count_longer, count_rounds, shoal::run_on::process_pool);
    registry.define(word_count, count_words, shoal::run_on::thread_pool);
    registry.define(
        fail, [](const std::string& message) { throw std::runtime_error(message); },
        shoal::run_on::thread_pool);
    registry.define(add_all, add_all_numbers, shoal::run_on::loop);
    // A poison task: its process-pool child dies of SIGSEGV every time.
    registry.define(
        crash,
        [](long) -> long {
            std::raise(SIGSEGV);
            return 0;
        },
        shoal::run_on::process_pool);
    registry.define(spin, spin_for, shoal::run_on::thread_pool);
    registry.define(now_ns, now_after, shoal::run_on::loop);
    registry.define(blob, blob_of, shoal::run_on::loop);
    registry.define(fib_fanout, fib_as_subtasks, shoal::run_on::loop);
    registry.define(fib_by, fib_awaited_by, shoal::run_on::loop);
    registry.define(block_loop, block_the_loop, shoal::run_on::loop);
    registry.define(mul, multiply, shoal::run_on::loop);
    registry.define(divide, divide_by, shoal::run_on::loop);
    registry.define(sum, sum_of, shoal::run_on::loop);
    registry.define(merge_counts, merge_word_counts, shoal::run_on::thread_pool);
    registry.define(journal_sum, sum_and_journal, shoal::run_on::thread_pool);
}

}  // namespace shoal_examples
