// The seeds' examples on Shoal's runtime; see seed_examples.hpp. Each function follows the
// Python program line by line; comments mark where C++ needs a different spelling.

#include "seed_examples.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>

#include "shoal/common/as_completed.hpp"
#include "shoal/common/async_generator.hpp"
#include "shoal/common/concurrent_wait.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/function_registry.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "shoal/common/queue.hpp"
#include "shoal/common/run_coroutine_threadsafe.hpp"
#include "shoal/common/run_in_executor.hpp"
#include "shoal/common/shield.hpp"
#include "shoal/common/sleep.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/thread_pool_executor.hpp"
#include "shoal/common/wait.hpp"
#include "shoal/common/wait_for.hpp"

namespace shoal::seeds {

namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point start) {
    return std::chrono::duration<double>(steady::now() - start).count();
}

void blocking_sleep(double seconds) {
    if (seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
}

// print() from several threads: whole lines, one at a time.
class line_printer {
  public:
    explicit line_printer(std::ostream& out) : out_(out) {}
    void operator()(const std::string& line) {
        std::lock_guard lock(mutex_);
        out_ << line << '\n' << std::flush;
    }

  private:
    std::mutex mutex_;
    std::ostream& out_;
};

// datetime.datetime.now() as Python prints it: 2018-06-07 22:34:07.134776
std::string datetime_now() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1'000'000;
    std::tm tm{};
    localtime_r(&t, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y-%m-%d %H:%M:%S") << '.' << std::setw(6) << std::setfill('0')
      << micros;
    return s.str();
}

// str(n!) for any n, in base 10^9 limbs (Python's ints do not overflow).
std::string factorial_string(long n) {
    std::vector<std::uint32_t> limbs{1};  // little-endian, base 1e9
    for (long i = 2; i <= n; ++i) {
        std::uint64_t carry = 0;
        for (auto& limb : limbs) {
            const std::uint64_t v = std::uint64_t{limb} * static_cast<std::uint64_t>(i) + carry;
            limb = static_cast<std::uint32_t>(v % 1'000'000'000);
            carry = v / 1'000'000'000;
        }
        while (carry != 0) {
            limbs.push_back(static_cast<std::uint32_t>(carry % 1'000'000'000));
            carry /= 1'000'000'000;
        }
    }
    std::ostringstream s;
    s << limbs.back();
    for (auto it = limbs.rbegin() + 1; it != limbs.rend(); ++it) {
        s << std::setw(9) << std::setfill('0') << *it;
    }
    return s.str();
}

std::string py_list_of_strings(const std::vector<std::string>& items) {
    std::string s = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        s += (i ? ", '" : "'") + items[i] + "'";
    }
    return s + "]";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// python_random
// ---------------------------------------------------------------------------------------

void python_random::seed(std::uint64_t s) {
    // random.seed(int): the absolute value's 32-bit words, least significant first.
    std::vector<std::uint32_t> key;
    do {
        key.push_back(static_cast<std::uint32_t>(s & 0xffffffffu));
        s >>= 32;
    } while (s != 0);
    // init_genrand(19650218) then init_by_array(key), as in CPython's _randommodule.c.
    constexpr int n = 624;
    mt_[0] = 19650218u;
    for (int i = 1; i < n; ++i) {
        mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    }
    int i = 1;
    std::size_t j = 0;
    for (int k = std::max<int>(n, static_cast<int>(key.size())); k > 0; --k) {
        mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
                 static_cast<std::uint32_t>(j);
        ++i;
        ++j;
        if (i >= n) {
            mt_[0] = mt_[n - 1];
            i = 1;
        }
        if (j >= key.size()) j = 0;
    }
    for (int k = n - 1; k > 0; --k) {
        mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
                 static_cast<std::uint32_t>(i);
        ++i;
        if (i >= n) {
            mt_[0] = mt_[n - 1];
            i = 1;
        }
    }
    mt_[0] = 0x80000000u;
    index_ = n;
}

std::uint32_t python_random::genrand_uint32() {
    constexpr int n = 624, m = 397;
    constexpr std::uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix_a = 0x9908b0dfu;
    if (index_ >= n) {
        for (int k = 0; k < n; ++k) {
            const std::uint32_t y = (mt_[k] & upper) | (mt_[(k + 1) % n] & lower);
            mt_[k] = mt_[(k + m) % n] ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
        }
        index_ = 0;
    }
    std::uint32_t y = mt_[index_++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= (y >> 18);
    return y;
}

double python_random::random() {
    const std::uint32_t a = genrand_uint32() >> 5, b = genrand_uint32() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

long python_random::randint(long a, long b) {
    // randrange(a, b + 1) -> a + _randbelow(width): getrandbits(width.bit_length()) until < width.
    const auto width = static_cast<std::uint64_t>(b - a + 1);
    if (b < a || width > 0x80000000u) {
        throw std::invalid_argument("python_random::randint: empty or too wide a range");
    }
    int k = 0;
    while ((width >> k) != 0) ++k;
    std::uint64_t r = 0;
    do {
        r = genrand_uint32() >> (32 - k);
    } while (r >= width);
    return a + static_cast<long>(r);
}

double python_random::expovariate(double lambd) { return -std::log(1.0 - random()) / lambd; }

std::string py_float(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    // Python uses exponent notation from 1e16 up and below 1e-4; to_chars' shortest form
    // agrees on the digits, so only the integral case needs the ".0".
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

// ---------------------------------------------------------------------------------------
// Seed 002: call_later chain
// ---------------------------------------------------------------------------------------

namespace {

struct chain_context {
    event_loop& loop;
    double end_time;
    double unit;
    std::ostream& out;
    std::vector<std::string>& calls;
};

void chain_function(chain_context& c, int which);

// function_1 .. function_4 only differ in their name and successor: one body, four names.
// (function_2's line has a trailing space in the seed, kept.)
void chain_function(chain_context& c, int which) {
    const std::string name = "function_" + std::to_string(which);
    c.out << name << " called" << (which == 2 ? " " : "") << '\n';
    c.calls.push_back(name);
    if (c.loop.time() + 1.0 * c.unit < c.end_time) {
        const int next = which % 4 + 1;
        c.loop.call_later(1.0 * c.unit, [&c, next] { chain_function(c, next); });
    } else {
        c.loop.stop();
    }
}

}  // namespace

std::vector<std::string> call_later_chain(std::ostream& out, double unit) {
    std::vector<std::string> calls;
    event_loop loop;
    chain_context c{loop, loop.time() + 9.0 * unit, unit, out, calls};
    loop.call_soon([&c] { chain_function(c, 1); });
    // loop.call_soon(function_4, end_loop, loop)
    loop.run_forever();
    loop.close();
    return calls;
}

// ---------------------------------------------------------------------------------------
// Seed 002: finite-state machine
// ---------------------------------------------------------------------------------------

namespace {

struct fsm_context {
    std::ostream& out;
    const std::function<int()>& randint;
    double delay;
    std::vector<std::string>& path;
    int next() {
        const int v = randint();
        if (v != 0 && v != 1) throw std::invalid_argument("fsm transition must be 0 or 1");
        return v;
    }
};

task<std::string> state1(fsm_context& c, int transition_value);
task<std::string> state2(fsm_context& c, int transition_value);
task<std::string> state3(fsm_context& c, int transition_value);

task<std::string> end_state(fsm_context& c, int transition_value) {
    c.path.push_back("End State");
    std::string output_value =
        "End State with transition value = " + std::to_string(transition_value) + " \n";
    c.out << "...Stop Computation...\n";
    co_return output_value;
}

task<std::string> state1(fsm_context& c, int transition_value) {
    c.path.push_back("State 1");
    std::string output_value =
        "State 1 with transition value = " + std::to_string(transition_value) + " \n";
    const int input_value = c.next();
    blocking_sleep(c.delay);  // time.sleep(1): the seed blocks the loop on purpose
    c.out << "...Evaluating...\n";
    std::string result;
    if (input_value == 0) {
        result = co_await state3(c, input_value);
    } else {
        result = co_await state2(c, input_value);
    }
    result = "State 1 calling " + result;
    co_return output_value + result;
}

task<std::string> state2(fsm_context& c, int transition_value) {
    c.path.push_back("State 2");
    std::string output_value =
        "State 2 with transition value = " + std::to_string(transition_value) + " \n";
    const int input_value = c.next();
    blocking_sleep(c.delay);
    c.out << "...Evaluating...\n";
    std::string result;
    if (input_value == 0) {
        result = co_await state1(c, input_value);
    } else {
        result = co_await state3(c, input_value);
    }
    result = "State 2 calling " + result;
    co_return output_value + result;
}

task<std::string> state3(fsm_context& c, int transition_value) {
    c.path.push_back("State 3");
    std::string output_value =
        "State 3 with transition value = " + std::to_string(transition_value) + " \n";
    const int input_value = c.next();
    blocking_sleep(c.delay);
    c.out << "...Evaluating...\n";
    std::string result;
    if (input_value == 0) {
        result = co_await state1(c, input_value);
    } else {
        result = co_await end_state(c, input_value);
    }
    result = "State 3 calling " + result;
    co_return output_value + result;
}

task<std::string> start_state(fsm_context& c) {
    c.path.push_back("Start State");
    c.out << "Start State called \n\n";
    const int input_value = c.next();
    blocking_sleep(c.delay);
    std::string result;
    if (input_value == 0) {
        result = co_await state2(c, input_value);
    } else {
        result = co_await state1(c, input_value);
    }
    c.out << "Resume of the Transition : \nStart State calling " << result << '\n';
    co_return result;
}

}  // namespace

fsm_result finite_state_machine(std::ostream& out, const std::function<int()>& transition,
                                double state_delay) {
    fsm_result r;
    fsm_context c{out, transition, state_delay, r.path};
    out << "Finite State Machine simulation with Asyncio Coroutine\n";
    event_loop loop;
    r.result = loop.run_until_complete(start_state(c));
    return r;
}

fsm_result finite_state_machine(std::ostream& out, std::uint64_t seed, double state_delay) {
    python_random rng(seed);
    return finite_state_machine(
        out, [&rng] { return static_cast<int>(rng.randint(0, 1)); }, state_delay);
}

// ---------------------------------------------------------------------------------------
// Seed 002: futures with done callbacks
// ---------------------------------------------------------------------------------------

namespace {

task<void> first_coroutine(future<std::string> f, long n, double unit) {
    long count = 0;  // sum of the first n integers
    for (long i = 1; i <= n; ++i) count += i;
    co_await sleep(3 * unit);
    f.set_result("first coroutine (sum of N integers) result = " + std::to_string(count));
}

task<void> second_coroutine(future<std::string> f, long n, double unit) {
    const std::string count = factorial_string(n);
    co_await sleep(4 * unit);
    f.set_result("second coroutine (factorial) result = " + count);
}

}  // namespace

std::vector<std::string> futures_with_callbacks(std::ostream& out, long n1, long n2, double unit) {
    std::vector<std::string> printed;
    event_loop loop;
    auto got_result = [&out, &printed](future<std::string> f) {
        out << f.result() << '\n';
        printed.push_back(f.result());
    };
    auto future1 = loop.create_future<std::string>();
    auto future2 = loop.create_future<std::string>();
    std::vector<future<void>> tasks{loop.create_task(first_coroutine(future1, n1, unit)),
                                    loop.create_task(second_coroutine(future2, n2, unit))};
    future1.add_done_callback(got_result);
    future2.add_done_callback(got_result);
    loop.run_until_complete(wait(std::move(tasks)));
    loop.close();
    return printed;
}

// ---------------------------------------------------------------------------------------
// Seed 001: Ticker, async generators, averager
// ---------------------------------------------------------------------------------------

namespace {

// class Ticker: "Yield numbers from 0 to `to` every `delay` seconds." __anext__ returns
// nullopt where Python raises StopAsyncIteration.
class ticker {
  public:
    ticker(double delay, int to) : delay_(delay), to_(to) {}
    task<std::optional<int>> anext() {
        const int i = i_;
        if (i >= to_) co_return std::nullopt;
        ++i_;
        if (i != 0) co_await sleep(delay_);
        co_return i;
    }

  private:
    double delay_;
    int i_ = 0;
    int to_;
};

task<std::vector<int>> ticker_main(std::ostream& out, double unit) {
    std::vector<int> seen;
    ticker t(1 * unit, 5);
    while (auto i = co_await t.anext()) {  // async for i in Ticker(1, 5)
        out << *i << '\n';
        seen.push_back(*i);
    }
    co_return seen;
}

task<std::vector<int>> comprehension_main(std::ostream& out, double unit) {
    std::vector<int> result;  // [i async for i in Ticker(1,5) if i % 2]
    ticker t(1 * unit, 5);
    while (auto i = co_await t.anext()) {
        if (*i % 2) result.push_back(*i);
    }
    out << '[';
    for (std::size_t k = 0; k < result.size(); ++k) out << (k ? ", " : "") << result[k];
    out << "]\n";
    co_return result;
}

// class AsyncContextTicker with __aenter__ / __aexit__.
class async_context_ticker_cm {
  public:
    async_context_ticker_cm(double delay, int to, std::ostream& out,
                            std::vector<std::string>& lines)
        : data_(delay, to), delay_(delay), out_(out), lines_(lines) {}
    task<ticker*> aenter() {
        print("entering context");
        co_await sleep(delay_);
        co_return &data_;
    }
    task<void> aexit(std::exception_ptr) {
        co_await sleep(delay_);
        print("exit context");
    }
    void print(const std::string& line) {
        out_ << line << '\n';
        lines_.push_back(line);
    }

  private:
    ticker data_;
    double delay_;
    std::ostream& out_;
    std::vector<std::string>& lines_;
};

task<void> context_main(std::ostream& out, std::vector<std::string>& lines, double unit) {
    // async with AsyncContextTicker(1,5) as ticker: C++ has no `async with`, so __aexit__ is
    // awaited after the block, with the block's exception if any (not from a catch handler,
    // where co_await is not allowed).
    async_context_ticker_cm cm(1 * unit, 5, out, lines);
    ticker* t = co_await cm.aenter();
    std::exception_ptr error;
    try {
        while (auto i = co_await t->anext()) cm.print(std::to_string(*i));
    } catch (...) {
        error = std::current_exception();
    }
    co_await cm.aexit(error);
    if (error) std::rethrow_exception(error);
}

async_generator<int> ticker_gen(double delay, int to) {
    for (int i = 0; i < to; ++i) {
        co_yield i;
        co_await sleep(delay);
    }
}

task<std::vector<int>> ticker_gen_main(std::ostream& out, double unit) {
    std::vector<int> seen;
    auto gen = ticker_gen(1 * unit, 5);
    while (auto i = co_await gen.next()) {
        out << *i << '\n';
        seen.push_back(*i);
    }
    co_return seen;
}

async_generator<int> g1(int x) {
    for (int i = 0; i < x; ++i) co_yield i;
}

async_generator<int> g2() {
    auto inner = g1(5);
    while (auto v = co_await inner.next()) co_yield *v;  // async for v in g1(5): yield v
}

task<std::vector<int>> g_main(std::ostream& out) {
    std::vector<int> seen;
    auto gen = g2();
    while (auto i = co_await gen.next()) {
        out << *i << '\n';
        seen.push_back(*i);
    }
    co_return seen;
}

// `term = yield average`: async_generator has no asend(), so the sent value travels through
// `term`, which the caller sets before each next() (next() is asend's resume).
async_generator<std::optional<double>> averager(const double& term) {
    double total = 0.0;
    long count = 0;
    std::optional<double> average;  // None
    while (true) {
        co_yield average;
        total += term;
        ++count;
        average = total / static_cast<double>(count);
    }
}

task<std::vector<double>> grouper(std::ostream& out) {
    std::vector<double> seen;
    double term = 0;
    auto aver = averager(term);
    co_await aver.next();  // await aver.__anext__()
    for (int i = 0; i < 11; ++i) {
        term = i;
        auto j = co_await aver.next();  // j = await aver.asend(i)
        out << py_float(**j) << '\n';
        seen.push_back(**j);
    }
    co_return seen;
}

}  // namespace

std::vector<int> ticker_async_iterator(std::ostream& out, double unit) {
    event_loop loop;
    return loop.run_until_complete(ticker_main(out, unit));
}

std::vector<int> ticker_comprehension(std::ostream& out, double unit) {
    event_loop loop;
    return loop.run_until_complete(comprehension_main(out, unit));
}

std::vector<std::string> async_context_ticker(std::ostream& out, double unit) {
    std::vector<std::string> lines;
    event_loop loop;
    loop.run_until_complete(context_main(out, lines, unit));
    return lines;
}

std::vector<int> ticker_generator(std::ostream& out, double unit) {
    event_loop loop;
    return loop.run_until_complete(ticker_gen_main(out, unit));
}

std::vector<int> yield_from_generators(std::ostream& out) {
    event_loop loop;
    return loop.run_until_complete(g_main(out));
}

std::vector<double> moving_averager(std::ostream& out) {
    event_loop loop;
    return loop.run_until_complete(grouper(out));
}

// ---------------------------------------------------------------------------------------
// Seed 001: taxi simulation
// ---------------------------------------------------------------------------------------

std::string to_string(const taxi_event& e) {
    return "Event(time=" + std::to_string(e.time) + ", proc=" + std::to_string(e.proc) +
           ", action='" + e.action + "')";
}

namespace {

constexpr int search_duration = 5;     // SEARCH_DURATION
constexpr int trip_duration = 20;      // TRIP_DURATION
constexpr int departure_interval = 5;  // DEPARTURE_INTERVAL

// `time = yield Event(...)`: the time asend() delivers arrives in `sent_time`.
// The events are named locals: GCC 12 destroys a braced temporary in a co_yield twice.
async_generator<taxi_event> taxi_process(int ident, int trips, int start_time,
                                         const int& sent_time) {
    taxi_event leave{start_time, ident, "leave garage"};
    co_yield leave;
    int time = sent_time;
    for (int i = 0; i < trips; ++i) {
        taxi_event pick_up{time, ident, "pick up passenger"};
        co_yield pick_up;
        time = sent_time;
        taxi_event drop_off{time, ident, "drop off passenger"};
        co_yield drop_off;
        time = sent_time;
    }
    taxi_event going_home{time, ident, "going home"};
    co_yield going_home;
}

int compute_duration(const std::string& previous_action, python_random& random) {
    int interval = 0;
    if (previous_action == "leave garage" || previous_action == "drop off passenger") {
        interval = search_duration;  // new state is prowling
    } else if (previous_action == "pick up passenger") {
        interval = trip_duration;  // new state is trip
    } else if (previous_action == "going home") {
        interval = 1;
    } else {
        throw std::invalid_argument("Unknown previous_action: " + previous_action);
    }
    return static_cast<int>(random.expovariate(1.0 / interval)) + 1;
}

struct taxi_proc {
    std::unique_ptr<int> sent_time = std::make_unique<int>(0);
    async_generator<taxi_event> gen;
};

// Event's namedtuple ordering, least first (queue.PriorityQueue).
struct later_event {
    bool operator()(const taxi_event& a, const taxi_event& b) const {
        return std::tie(a.time, a.proc, a.action) > std::tie(b.time, b.proc, b.action);
    }
};

class simulator {
  public:
    simulator(std::map<int, taxi_proc> procs, python_random& random, std::ostream& out)
        : procs_(std::move(procs)), random_(random), out_(out) {}

    task<std::vector<taxi_event>> run(int end_time) {
        std::vector<taxi_event> shown;
        for (auto& [_, proc] : procs_) {  // sorted(self.procs.items())
            auto first_event = co_await proc.gen.next();
            events_.push(*first_event);
        }
        int sim_time = 0;
        bool broke = false;
        while (sim_time < end_time) {
            if (events_.empty()) {
                out_ << "*** end of events ***\n";
                broke = true;
                break;
            }
            taxi_event current_event = events_.top();
            events_.pop();
            sim_time = current_event.time;
            const int proc_id = current_event.proc;
            out_ << "taxi: " << proc_id << ' '
                 << std::string(static_cast<std::size_t>(proc_id), ' ') << ' '
                 << to_string(current_event) << '\n';
            shown.push_back(current_event);
            taxi_proc& active_proc = procs_.at(proc_id);
            const int next_time = sim_time + compute_duration(current_event.action, random_);
            *active_proc.sent_time = next_time;  // active_proc.asend(next_time)
            auto next_event = co_await active_proc.gen.next();
            if (!next_event) {  // StopAsyncIteration
                procs_.erase(proc_id);
            } else {
                events_.push(*next_event);
            }
        }
        if (!broke) {
            out_ << "*** end of simulation time: " << events_.size() << " events pending ***\n";
        }
        co_return shown;
    }

  private:
    std::priority_queue<taxi_event, std::vector<taxi_event>, later_event> events_;
    std::map<int, taxi_proc> procs_;
    python_random& random_;
    std::ostream& out_;
};

}  // namespace

std::vector<taxi_event> taxi_simulation(std::ostream& out, std::uint64_t seed, int end_time,
                                        int num_taxis) {
    python_random random(seed);
    std::map<int, taxi_proc> taxis;
    for (int i = 0; i < num_taxis; ++i) {
        taxi_proc p;
        p.gen = taxi_process(i, (i + 1) * 2, i * departure_interval, *p.sent_time);
        taxis.emplace(i, std::move(p));
    }
    simulator sim(std::move(taxis), random, out);
    event_loop loop;
    return loop.run_until_complete(sim.run(end_time));
}

// ---------------------------------------------------------------------------------------
// Seed 001: the loop's clock and callbacks
// ---------------------------------------------------------------------------------------

namespace {

task<double> now_coro(std::ostream& out, double unit) {
    out << datetime_now() << '\n';
    co_await sleep(1 * unit);
    out << datetime_now() << '\n';
    co_await sleep(1 * unit);
    const double t = event_loop::current().time();
    out << py_float(t) << '\n';
    co_return t;
}

task<int> display_date_coro(event_loop& loop, std::ostream& out, double unit) {
    int lines = 0;
    const double end_time = loop.time() + 5.0 * unit;
    while (true) {
        out << datetime_now() << '\n';
        ++lines;
        if (loop.time() + 1.0 * unit >= end_time) break;
        co_await sleep(1 * unit);
    }
    co_return lines;
}

}  // namespace

std::pair<double, double> now_and_loop_time(std::ostream& out, double unit) {
    event_loop loop;
    const double inside = loop.run_until_complete(now_coro(out, unit));
    const double after = loop.time();
    out << py_float(after) << '\n';
    loop.close();
    return {inside, after};
}

int hello_world_call_soon(std::ostream& out) {
    int calls = 0;
    event_loop loop;
    auto hello_world = [&out, &calls, &loop] {
        out << "Hello World\n";
        ++calls;
        loop.stop();
    };
    // Schedule a call to hello_world()
    for (int i = 0; i < 4; ++i) loop.call_soon(hello_world);
    // Blocking call interrupted by loop.stop()
    loop.run_forever();
    loop.close();
    return calls;
}

int display_date(std::ostream& out, double unit) {
    event_loop loop;
    // Blocking call which returns when the display_date() coroutine is done
    const int lines = loop.run_until_complete(display_date_coro(loop, out, unit));
    loop.close();
    return lines;
}

// ---------------------------------------------------------------------------------------
// Seed 001: factorial with gather / wait / as_completed / run_in_executor
// ---------------------------------------------------------------------------------------

namespace {

task<long> factorial(std::ostream& out, std::string name, int number, double unit) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        out << "Task " << name << ": Compute factorial(" << i << ")...\n";
        co_await sleep(1 * unit);
        f *= i;
    }
    out << "Task " << name << ": factorial(" << number << ") = " << f << '\n';
    co_return f;
}

task<long> factorial_executor(line_printer& print, std::string name, int number, double unit) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        print("Task " + name + ": Compute factorial(" + std::to_string(i) + ")...");
        event_loop& loop = event_loop::current();
        co_await loop.run_in_executor(nullptr,
                                      [unit] { blocking_sleep(1 * unit); });  // time.sleep, 1
        f *= i;
    }
    print("Task " + name + ": factorial(" + std::to_string(number) + ") = " + std::to_string(f));
    co_return f;
}

task<std::vector<long>> as_completed_main(std::ostream& out, double unit) {
    event_loop& loop = event_loop::current();
    std::vector<long> results;
    auto gen =
        as_completed(std::vector<future<long>>{loop.create_task(factorial(out, "A", 2, unit)),
                                               loop.create_task(factorial(out, "B", 3, unit)),
                                               loop.create_task(factorial(out, "C", 4, unit))});
    while (auto f = co_await gen.next()) {
        long result = co_await *f;
        results.push_back(result);
    }
    co_return results;
}

// asyncio.gather(factorial("A", 2), factorial("B", 3), factorial("C", 4)): gather() starts the
// lazy tasks on the running loop, hence the coroutine around it.
task<std::tuple<long, long, long>> gather_factorials(std::ostream& out, double unit) {
    auto all = gather(factorial(out, "A", 2, unit), factorial(out, "B", 3, unit),
                      factorial(out, "C", 4, unit));
    co_return co_await all;
}

}  // namespace

std::vector<long> factorial_gather(std::ostream& out, double unit) {
    event_loop loop;
    auto [a, b, c] = loop.run_until_complete(gather_factorials(out, unit));
    loop.close();
    return {a, b, c};
}

std::vector<std::string> factorial_wait(std::ostream& out, double unit) {
    std::vector<std::string> completed;
    event_loop loop;
    std::vector<future<long>> fs;
    for (auto [name, n] : {std::pair{"A", 2}, std::pair{"B", 3}, std::pair{"C", 4}}) {
        fs.push_back(loop.create_task(factorial(out, name, n, unit)));
        fs.back().add_done_callback([&completed, name = std::string(name)](const future<long>&) {
            completed.push_back(name);
        });
    }
    auto result = loop.run_until_complete(wait(std::move(fs)));
    loop.close();
    if (result.done.size() != 3 || !result.pending.empty()) {
        throw std::logic_error("asyncio.wait returned before every task was done");
    }
    return completed;
}

std::vector<long> factorial_as_completed(std::ostream& out, double unit) {
    event_loop loop;
    auto results = loop.run_until_complete(as_completed_main(out, unit));
    loop.close();
    return results;
}

double factorial_run_in_executor(std::ostream& out, double unit) {
    line_printer print(out);
    event_loop loop;
    const auto start = steady::now();
    std::vector<future<long>> fs{loop.create_task(factorial_executor(print, "A", 2, unit)),
                                 loop.create_task(factorial_executor(print, "B", 3, unit)),
                                 loop.create_task(factorial_executor(print, "C", 4, unit))};
    loop.run_until_complete(wait(std::move(fs)));
    const double elapsed = seconds_since(start);
    loop.close();
    return elapsed;
}

double blocking_sleeps_in_executor(std::ostream& out, const std::vector<double>& seconds) {
    line_printer print(out);
    event_loop loop;
    const auto start = steady::now();
    std::vector<future<void>> fs;
    for (double s : seconds) {
        print("time.sleep(" + py_float(s) + ") sent to the default executor");
        fs.push_back(loop.run_in_executor(nullptr, [s, &print] {
            blocking_sleep(s);
            print("time.sleep(" + py_float(s) + ") done");
        }));
    }
    loop.run_until_complete(gather(std::move(fs)));
    const double elapsed = seconds_since(start);
    print("all done in " + py_float(elapsed) + " seconds");
    loop.close();
    return elapsed;
}

// ---------------------------------------------------------------------------------------
// Seed 001: a loop in another thread
// ---------------------------------------------------------------------------------------

namespace {

// start_loop(loop): run_forever in a new thread; stop() has to come through
// call_soon_threadsafe (the seed's notebook just leaves the thread running).
class loop_thread {
  public:
    explicit loop_thread(event_loop& loop)
        : loop_(loop), thread_([this] {
              id_ = std::this_thread::get_id();
              loop_.run_forever();
          }) {}
    ~loop_thread() { stop_and_join(); }
    loop_thread(const loop_thread&) = delete;
    loop_thread& operator=(const loop_thread&) = delete;
    void stop_and_join() {
        if (thread_.joinable()) {
            loop_.call_soon_threadsafe([this] { loop_.stop(); });
            thread_.join();
        }
    }
    std::thread::id id() const { return id_; }  // after stop_and_join

  private:
    event_loop& loop_;
    std::thread::id id_;
    std::thread thread_;
};

task<void> do_some_work(line_printer& print, int x, double unit,
                        std::vector<std::thread::id>& threads) {
    threads.push_back(std::this_thread::get_id());
    print("Waiting " + std::to_string(x));
    co_await sleep(x * unit);
    print("Done after " + std::to_string(x) + "s");
}

}  // namespace

threadsafe_report call_soon_threadsafe_example(std::ostream& out, double unit) {
    threadsafe_report r;
    r.caller_thread = std::this_thread::get_id();
    line_printer print(out);
    auto more_work = [&print, &r, unit](int x) {
        r.callback_threads.push_back(std::this_thread::get_id());
        print("More work " + std::to_string(x));
        blocking_sleep(x * unit);
        print("Finished more work " + std::to_string(x));
    };
    const auto start = steady::now();
    event_loop new_loop;
    {
        loop_thread t(new_loop);
        print("TIME: " + py_float(seconds_since(start)));
        new_loop.call_soon_threadsafe([&more_work] { more_work(6); });
        new_loop.call_soon_threadsafe([&more_work] { more_work(3); });
        t.stop_and_join();  // queued behind the two calls
        r.loop_thread = t.id();
    }
    r.elapsed = seconds_since(start);
    new_loop.close();
    return r;
}

threadsafe_report run_coroutine_threadsafe_example(std::ostream& out, double unit) {
    threadsafe_report r;
    r.caller_thread = std::this_thread::get_id();
    line_printer print(out);
    const auto start = steady::now();
    event_loop new_loop;
    {
        loop_thread t(new_loop);
        print("TIME: " + py_float(seconds_since(start)));
        auto f6 =
            run_coroutine_threadsafe(do_some_work(print, 6, unit, r.callback_threads), new_loop);
        auto f4 =
            run_coroutine_threadsafe(do_some_work(print, 4, unit, r.callback_threads), new_loop);
        f6.result();  // the seed's notebook just waits; a program blocks on the futures
        f4.result();
        r.elapsed = seconds_since(start);
        t.stop_and_join();
        r.loop_thread = t.id();
    }
    new_loop.close();
    return r;
}

// ---------------------------------------------------------------------------------------
// Seed 001: producer / consumer
// ---------------------------------------------------------------------------------------

namespace {

struct pc_context {
    std::ostream& out;
    std::vector<std::string>& lines;
    const std::function<double()>& random;
    double unit;
    void print(std::string line) {
        out << line << '\n';
        lines.push_back(std::move(line));
    }
};

task<void> produce(queue<std::optional<std::string>>& q, int n, pc_context& c) {
    for (int x = 1; x <= n; ++x) {
        // produce an item
        c.print("producing " + std::to_string(x) + "/" + std::to_string(n));
        // simulate i/o operation using sleep
        co_await sleep(c.random() * c.unit);
        std::string item = std::to_string(x);
        // put the item in the queue
        co_await q.put(std::move(item));
    }
    // indicate the producer is done
    co_await q.put(std::nullopt);
}

task<void> consume(queue<std::optional<std::string>>& q, pc_context& c) {
    while (true) {
        // wait for an item from the producer
        std::optional<std::string> item = co_await q.get();
        if (!item) {
            // the producer emits None to indicate that it is done
            break;
        }
        // process the item
        c.print("consuming item " + *item + "...");
        // simulate i/o operation using sleep
        co_await sleep(c.random() * c.unit);
    }
}

}  // namespace

std::vector<std::string> producer_consumer(std::ostream& out, int n,
                                           const std::function<double()>& random, double unit) {
    std::vector<std::string> lines;
    pc_context c{out, lines, random, unit};
    event_loop loop;
    queue<std::optional<std::string>> q;
    auto producer = loop.create_task(produce(q, n, c));
    auto consumer = loop.create_task(consume(q, c));
    loop.run_until_complete(gather(producer, consumer));
    loop.close();
    return lines;
}

std::vector<std::string> producer_consumer(std::ostream& out, int n, std::uint64_t seed,
                                           double unit) {
    python_random rng(seed);
    return producer_consumer(
        out, n, [&rng] { return rng.random(); }, unit);
}

// ---------------------------------------------------------------------------------------
// Seed 003 / 004
// ---------------------------------------------------------------------------------------

namespace {

task<void> foo(std::ostream& out, double unit) {
    out << "foo running ....\n";
    co_await sleep(1 * unit);  // yield from asyncio.sleep(1)
    out << "foo done . . . \n";
}

task<void> abc_a(std::ostream& out, double unit) {
    out << "aaa begin\n";
    co_await sleep(0.5 * unit);
    out << "aaa end \n";
}

task<void> abc_b(std::ostream& out, double unit) {
    out << "bbb begin\n";
    co_await sleep(0.5 * unit);
    out << "bbb end \n";
}

task<void> abc_c(std::ostream& out, double unit, bool sleeps) {
    out << "ccc begin\n";
    if (sleeps) co_await sleep(0.5 * unit);  // commented out in the first version
    out << "ccc end\n";
}

task<std::string> do_hello(std::ostream& out, double unit) {
    out << " let's do it ! \n";
    co_await sleep(0.5 * unit);
    out << "done....\n";
    co_return "hello";
}

std::vector<future<std::string>> three_dos(std::ostream& out, double unit) {
    event_loop& loop = event_loop::current();
    return {loop.create_task(do_hello(out, unit)), loop.create_task(do_hello(out, unit)),
            loop.create_task(do_hello(out, unit))};
}

task<std::vector<std::string>> gather_main(std::ostream& out, double unit) {
    co_await sleep(0.5 * unit);
    auto task_list = three_dos(out, unit);
    // dones, pendings = await asyncio.wait(taskList)
    std::vector<std::string> result = co_await gather(std::move(task_list));
    out << py_list_of_strings(result) << '\n';
    for (const auto& res : result) out << "result :  " << res << '\n';
    co_return result;
}

task<int> wait_main(std::ostream& out, double unit) {
    co_await sleep(0.5 * unit);
    auto task_list = three_dos(out, unit);
    auto [dones, pendings] = co_await wait(std::move(task_list));
    int printed = 0;
    for (auto& t : dones) {
        out << "result :  " << t.result() << '\n';
        ++printed;
    }
    co_return printed;
}

task<std::vector<std::string>> as_completed_do_main(std::ostream& out, double unit) {
    co_await sleep(0.5 * unit);
    auto task_list = three_dos(out, unit);
    auto result = as_completed(std::move(task_list));
    out << "<async_generator object as_completed>\n";  // print(result)
    std::vector<std::string> seen;
    while (auto t = co_await result.next()) {
        std::string res = co_await *t;
        out << res << '\n';
        seen.push_back(res);
    }
    co_return seen;
}

task<std::string> do_haha(std::ostream& out) {
    out << "Waiting: \n";
    co_return "haha";
}

task<void> do_wating(std::ostream& out, int x) {
    out << "wating: " << x << '\n';
    co_return;
}

task<std::string> hello_world_coro(std::ostream& out, double unit) {
    out << "Hello World!\n";
    co_await sleep(3 * unit);
    out << "Bye World!\n";
    co_return "Hello World";
}

task<std::string> hello_lfzyx(std::ostream& out) {
    out << "Hello lfzyx!\n";
    out << "Bye lfzyx!\n";
    co_return "lfzyx";
}

}  // namespace

void foo_wait(std::ostream& out, double unit) {
    event_loop loop;
    std::vector<future<void>> fs{loop.create_task(foo(out, unit)),
                                 loop.create_task(foo(out, unit))};
    loop.run_until_complete(wait(std::move(fs)));  // 将协程注册到事件循环
    loop.close();
}

double abc_wait(std::ostream& out, bool c_sleeps, double unit) {
    const auto start = steady::now();
    event_loop loop;
    std::vector<future<void>> task_list{loop.create_task(abc_a(out, unit)),
                                        loop.create_task(abc_b(out, unit)),
                                        loop.create_task(abc_c(out, unit, c_sleeps))};
    loop.run_until_complete(wait(std::move(task_list)));
    loop.close();
    const double elapsed = seconds_since(start);
    if (c_sleeps) out << py_float(elapsed) << '\n';  // print(now() - start)
    return elapsed;
}

std::vector<std::string> do_gather(std::ostream& out, double unit) {
    event_loop loop;
    auto result = loop.run_until_complete(gather_main(out, unit));
    loop.close();
    return result;
}

int nested_wait(std::ostream& out, double unit) {
    const auto start = steady::now();
    event_loop loop;
    std::vector<future<int>> mains{loop.create_task(wait_main(out, unit)),
                                   loop.create_task(wait_main(out, unit))};
    auto [done, pending] = loop.run_until_complete(wait(mains));
    loop.close();
    out << "total cost time:  " << py_float(seconds_since(start)) << '\n';
    int printed = 0;
    for (auto& m : done) printed += m.result();
    return printed;
}

std::vector<std::string> do_as_completed(std::ostream& out, double unit) {
    const auto start = steady::now();
    event_loop loop;
    auto main_task = loop.create_task(as_completed_do_main(out, unit));
    loop.run_until_complete(wait(std::vector<future<std::vector<std::string>>>{main_task}));
    loop.close();
    out << "total cost time:  " << py_float(seconds_since(start)) << '\n';
    return main_task.result();
}

std::string task_done_callback(std::ostream& out) {
    const auto start = steady::now();
    std::string seen;
    event_loop loop;
    auto t = loop.create_task(do_haha(out));  // asyncio.ensure_future(coroutine)
    t.add_done_callback([&out, &seen](future<std::string> f) {
        out << "Callback:  " << f.result() << '\n';
        seen = f.result();
    });
    loop.run_until_complete(t);
    out << "TIME:  " << py_float(seconds_since(start)) << '\n';
    loop.close();
    return seen;
}

std::pair<bool, bool> task_states(std::ostream& out) {
    event_loop loop;
    auto t = loop.create_task(do_wating(out, 1));
    const bool pending = !t.done();
    out << (pending ? "<Task pending coro=<do()>>" : "<Task finished coro=<do()> result=None>")
        << '\n';
    loop.run_until_complete(t);
    const bool finished = t.done();
    out << (finished ? "<Task finished coro=<do()> result=None>" : "<Task pending coro=<do()>>")
        << '\n';
    loop.close();
    return {pending, finished};
}

std::vector<std::string> hello_gather_callback(std::ostream& out, double unit) {
    std::vector<std::string> seen;
    event_loop loop;
    auto world = loop.create_task(hello_world_coro(out, unit));  // ensure_future, in order
    auto lfzyx = loop.create_task(hello_lfzyx(out));
    auto t = gather(world, lfzyx);
    t.add_done_callback([&out, &seen](future<std::tuple<std::string, std::string>> re) {
        auto& [a, b] = re.result();
        seen = {a, b};
        out << "Callback:  " << py_list_of_strings(seen) << '\n';
    });
    loop.run_until_complete(t);
    loop.close();
    return seen;
}

// ---------------------------------------------------------------------------------------
// The Future / Task API the seeds describe
// ---------------------------------------------------------------------------------------

namespace {

const char* py_bool(bool b) { return b ? "True" : "False"; }

task<std::string> cleans_up(std::ostream& out, bool& cleaned, double unit) {
    try {
        co_await sleep(10 * unit);
    } catch (const cancelled_error&) {
        out << "cancelled while sleeping: cleaning up\n";
        cleaned = true;
        throw;
    }
    co_return "finished";
}

task<std::string> refuses(std::ostream& out, double unit) {
    try {
        co_await sleep(10 * unit);
    } catch (const cancelled_error&) {
        out << "cancelled while sleeping: refusing\n";
        co_return "refused the cancellation";
    }
    co_return "finished";
}

task<cancel_report> cancel_main(std::ostream& out, double unit) {
    cancel_report r;
    event_loop& loop = event_loop::current();
    auto first = loop.create_task(cleans_up(out, r.cleaned_up, unit));
    auto second = loop.create_task(refuses(out, unit));
    co_await sleep(1 * unit);
    out << "first.cancel() -> " << py_bool(first.cancel()) << '\n';
    out << "second.cancel() -> " << py_bool(second.cancel()) << '\n';
    std::vector<future<std::string>> both{first,
                                          second};  // (GCC 12: no braced list inside co_await)
    co_await wait(std::move(both));
    r.first_cancelled = first.cancelled();
    r.second_cancelled = second.cancelled();
    out << "first.cancelled() = " << py_bool(r.first_cancelled) << '\n';
    out << "second.cancelled() = " << py_bool(r.second_cancelled) << '\n';
    if (!r.second_cancelled) {
        r.second_result = second.result();
        out << "second.result() = '" << r.second_result << "'\n";
    }
    co_return r;
}

task<std::string> slow_work(std::ostream& out, std::string name, double seconds) {
    try {
        co_await sleep(seconds);
    } catch (const cancelled_error&) {
        out << name << " was cancelled\n";
        throw;
    }
    out << name << " finished\n";
    co_return name + " result";
}

task<std::pair<bool, std::string>> wait_for_main(std::ostream& out, double unit) {
    bool timed_out = false;
    try {
        auto work3 =
            slow_work(out, "work(3)", 3 * unit);  // (no temporaries inside co_await: GCC 12)
        co_await wait_for(std::move(work3), 1 * unit);
    } catch (const timeout_error&) {
        timed_out = true;
        out << "wait_for(work(3), timeout=1): TimeoutError\n";
    }
    auto work1 = slow_work(out, "work(1)", 1 * unit);
    std::string r = co_await wait_for(std::move(work1), 3 * unit);
    out << "wait_for(work(1), timeout=3) = '" << r << "'\n";
    co_return std::pair{timed_out, r};
}

task<std::string> shield_waiter(future<std::string> inner) { co_return co_await shield(inner); }

task<std::pair<bool, std::string>> shield_main(std::ostream& out, double unit) {
    event_loop& loop = event_loop::current();
    auto inner = loop.create_task(slow_work(out, "work(2)", 2 * unit));
    auto waiter = loop.create_task(shield_waiter(inner));
    co_await sleep(1 * unit);
    waiter.cancel();
    std::vector<future<std::string>> just_waiter{waiter};
    co_await wait(std::move(just_waiter));
    out << "waiter.cancelled() = " << py_bool(waiter.cancelled()) << '\n';
    std::string r = co_await inner;
    out << "inner.result() = '" << r << "'\n";
    co_return std::pair{waiter.cancelled(), r};
}

}  // namespace

std::vector<std::string> future_api(std::ostream& out) {
    std::vector<std::string> lines;
    auto print = [&](std::string line) {
        out << line << '\n';
        lines.push_back(std::move(line));
    };
    event_loop loop;
    auto fut = loop.create_future<std::string>();
    print(std::string("future.done() = ") + py_bool(fut.done()));
    try {
        fut.result();
    } catch (const invalid_state_error&) {
        print("future.result() -> InvalidStateError (not done yet)");
    }
    fut.set_result("the result");
    print(std::string("after set_result: future.done() = ") + py_bool(fut.done()));
    print("future.result() = '" + fut.result() + "'");
    print(std::string("future.exception() is None: ") + py_bool(fut.exception() == nullptr));
    try {
        fut.set_result("again");
    } catch (const invalid_state_error&) {
        print("future.set_result() again -> InvalidStateError");
    }
    print(std::string("future.cancel() on a done future -> ") + py_bool(fut.cancel()));

    auto failed = loop.create_future<int>();
    failed.set_exception(std::runtime_error("boom"));
    try {
        std::rethrow_exception(failed.exception());
    } catch (const std::runtime_error& e) {
        print(std::string("failed.exception() = RuntimeError('") + e.what() + "')");
    }

    auto cancelled = loop.create_future<int>();
    print(std::string("cancelled.cancel() -> ") + py_bool(cancelled.cancel()));
    print(std::string("cancelled.cancelled() = ") + py_bool(cancelled.cancelled()) +
          ", done() = " + py_bool(cancelled.done()));
    try {
        cancelled.result();
    } catch (const cancelled_error&) {
        print("cancelled.result() -> CancelledError");
    }

    auto with_callbacks = loop.create_future<int>();
    const auto id = with_callbacks.add_done_callback(
        [&](const shoal::future<int>&) { print("removed callback ran"); });
    with_callbacks.add_done_callback([&](shoal::future<int> f) {
        print("Future: " + std::to_string(f.result()));  // functools.partial(print, "Future:")
    });
    print("remove_done_callback -> " + std::to_string(with_callbacks.remove_done_callback(id)));
    with_callbacks.set_result(42);
    loop.run_until_complete(with_callbacks);  // callbacks run via call_soon, not in set_result
    loop.close();
    return lines;
}

cancel_report task_cancel(std::ostream& out, double unit) {
    event_loop loop;
    auto r = loop.run_until_complete(cancel_main(out, unit));
    loop.close();
    return r;
}

std::pair<bool, std::string> wait_for_timeout(std::ostream& out, double unit) {
    event_loop loop;
    auto r = loop.run_until_complete(wait_for_main(out, unit));
    loop.close();
    return r;
}

std::pair<bool, std::string> shield_example(std::ostream& out, double unit) {
    event_loop loop;
    auto r = loop.run_until_complete(shield_main(out, unit));
    loop.close();
    return r;
}

// ---------------------------------------------------------------------------------------
// Seeds 000 / 002: count
// ---------------------------------------------------------------------------------------

long count(long number, long iterations) {
    // for i in range(0, iterations): i += 1 -- kept from being folded away, it is the work.
    // (Seed 000's listing returns inside the loop, a typo its printed output contradicts; this
    // follows the output and seed 002: count to the end, then multiply.)
    volatile long i = 0;
    for (long k = 0; k < iterations; ++k) {
        i = i + 1;
    }
    return i * number;
}

void register_seed_functions() {
    auto& registry = function_registry::global();
    if (!registry.contains(count_task.name())) {
        registry.define(count_task,
                        [](long number, long iterations) { return count(number, iterations); });
    }
}

namespace {

constexpr long number_list_size = 10;  // number_list = list(range(1, 11))

std::string item_line(long item, long result) {
    return "Item " + std::to_string(item) + ", result " + std::to_string(result);
}

}  // namespace

count_report count_sequential(std::ostream& out, long iterations) {
    count_report r;
    const auto start = steady::now();
    for (long item = 1; item <= number_list_size; ++item) {
        const long result_item = count(item, iterations);  // evaluate(item)
        out << item_line(item, result_item) << '\n';
        r.items.emplace_back(item, result_item);
    }
    r.seconds = seconds_since(start);
    out << "Sequential Execution in " << py_float(r.seconds) << " seconds\n";
    return r;
}

count_report count_thread_pool(std::ostream& out, long iterations, std::size_t workers) {
    count_report r;
    std::mutex mutex;
    auto evaluate = [&](long item) {
        const long result_item = count(item, iterations);
        std::lock_guard lock(mutex);
        out << item_line(item, result_item) << '\n';
        r.items.emplace_back(item, result_item);
    };
    const auto start = steady::now();
    {
        thread_pool_executor executor(workers);  // with ... as executor:
        for (long item = 1; item <= number_list_size; ++item) {
            executor.submit(evaluate, item);
        }
        executor.shutdown(true);
    }
    r.seconds = seconds_since(start);
    out << "Thread Pool Execution in " << py_float(r.seconds) << " seconds\n";
    return r;
}

count_report count_process_pool(std::ostream& out, long iterations, std::size_t workers) {
    register_seed_functions();  // before the pool: its children know the registry as it was
    count_report r;
    const auto start = steady::now();
    {
        process_pool_executor executor(workers);
        std::vector<concurrent::future<long>> futures;
        for (long item = 1; item <= number_list_size; ++item) {
            futures.push_back(executor.submit(count_task, item, iterations));
        }
        // A child cannot print to our stream: the parent prints each line as its call ends.
        for (const auto& f : concurrent::as_completed(futures)) {
            const auto index =
                static_cast<long>(std::find(futures.begin(), futures.end(), f) - futures.begin());
            const long item = index + 1;
            const long result_item = f.result();
            out << item_line(item, result_item) << '\n';
            r.items.emplace_back(item, result_item);
        }
        executor.shutdown(true);
    }
    r.seconds = seconds_since(start);
    out << "Process Pool Execution in " << py_float(r.seconds) << " seconds\n";
    return r;
}

std::vector<count_report> count_evaluate_item(std::ostream& out, long iterations) {
    register_seed_functions();
    std::vector<count_report> reports(3);
    // 顺序执行 (sequential)
    auto start = steady::now();
    for (long item = 1; item <= number_list_size; ++item) {
        const long result = count(item, iterations);  // evaluate_item(item)
        out << result << '\n';
        reports[0].items.emplace_back(item, result);
    }
    reports[0].seconds = seconds_since(start);
    out << "Sequential execution in " << py_float(reports[0].seconds) << " seconds\n";

    auto print_as_completed = [&out](const std::vector<concurrent::future<long>>& futures,
                                     count_report& r) {
        for (const auto& f : concurrent::as_completed(futures)) {
            const auto index =
                static_cast<long>(std::find(futures.begin(), futures.end(), f) - futures.begin());
            out << f.result() << '\n';
            r.items.emplace_back(index + 1, f.result());
        }
    };
    // 线程池执行 (thread pool)
    start = steady::now();
    {
        thread_pool_executor executor(5);
        std::vector<concurrent::future<long>> futures;
        for (long item = 1; item <= number_list_size; ++item) {
            futures.push_back(
                executor.submit([iterations](long x) { return count(x, iterations); }, item));
        }
        print_as_completed(futures, reports[1]);
    }
    reports[1].seconds = seconds_since(start);
    out << "Thread pool execution in " << py_float(reports[1].seconds) << " seconds\n";
    // 进程池 (process pool)
    start = steady::now();
    {
        process_pool_executor executor(5);
        std::vector<concurrent::future<long>> futures;
        for (long item = 1; item <= number_list_size; ++item) {
            futures.push_back(executor.submit(count_task, item, iterations));
        }
        print_as_completed(futures, reports[2]);
    }
    reports[2].seconds = seconds_since(start);
    out << "Process pool execution in " << py_float(reports[2].seconds) << " seconds\n";
    return reports;
}

}  // namespace shoal::seeds
