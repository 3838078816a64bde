#pragma once
// The seeds' runnable examples (the Python asyncio / concurrent.futures tutorials in
// shared/seeds), ported to Shoal's runtime: one function per example. Each writes to `out`
// what the Python program prints (same wording, one line per print) and returns what a test
// needs to check the behaviour (orders, results, timings, thread ids).
//
// Time: `unit` is how many real seconds one of the seed's seconds lasts (asyncio.sleep(1)
// becomes sleep(unit)), so tests and `seeds_tour --quick` can run the examples fast with the
// same interleavings. Randomness: examples that draw random numbers take an injectable
// source; the default is python_random, which makes the same draws as Python's `random`
// module after random.seed(n), so a seeded run reproduces what CPython prints.
//
// Seed files: 000 = concurrent.futures + asyncio cookbook (count), 001 = asyncio tutorial
// (Ticker, taxis, loop API, gather/wait/as_completed, executors, producer/consumer),
// 002 = python-parallel-programming cookbook (call_later chain, state machine, futures),
// 003 = asyncio notes (wait, gather, callbacks), 004 = asyncio intro (gather + callback).

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shoal/common/task_def.hpp"

namespace shoal::seeds {

// ---------------------------------------------------------------------------------------
// Helpers shared with the tests
// ---------------------------------------------------------------------------------------

// CPython's `random` module: MT19937 seeded with init_by_array as random.seed(int) does, and
// random(), randint(), expovariate() computed as CPython computes them.
class python_random {
  public:
    explicit python_random(std::uint64_t seed = 0) { this->seed(seed); }
    void seed(std::uint64_t s);
    std::uint32_t genrand_uint32();
    double random();                   // [0, 1), 53-bit (random.random)
    long randint(long a, long b);      // [a, b]; b - a < 2**31 (random.randint)
    double expovariate(double lambd);  // random.expovariate

  private:
    std::uint32_t mt_[624] = {};
    int index_ = 625;
};

// Python's repr(float): shortest round-trip digits, ".0" for integral values.
std::string py_float(double v);

// ---------------------------------------------------------------------------------------
// Seed 002: the event loop API
// ---------------------------------------------------------------------------------------

// function_1..function_4 re-arm each other with loop.call_later(1) until loop.time() + 1 would
// pass the end (9 s after the start); the last one stops the loop. Returns the functions
// called, in order ("function_1", ...): 9 calls.
std::vector<std::string> call_later_chain(std::ostream& out, double unit = 1.0);

// The asyncio finite-state machine: StartState -> State1/State2/State3 ... -> EndState, each
// transition chosen by randint(0, 1) and each state blocking for time.sleep(1) (state_delay
// real seconds here). `transition` returns the next input value (0 or 1).
struct fsm_result {
    std::vector<std::string> path;  // "Start State", "State 2", ..., "End State"
    std::string result;             // the string StartState prints after "Start State calling "
};
fsm_result finite_state_machine(std::ostream& out, const std::function<int()>& transition,
                                double state_delay = 1.0);
fsm_result finite_state_machine(std::ostream& out, std::uint64_t seed, double state_delay = 1.0);

// Two coroutines compute sum(1..n1) and n2! then sleep 3 and 4 seconds and set two futures'
// results; done callbacks (got_result) print them. Returns the printed results in order.
std::vector<std::string> futures_with_callbacks(std::ostream& out, long n1, long n2,
                                                double unit = 1.0);

// ---------------------------------------------------------------------------------------
// Seed 001: coroutines, async iteration, generators
// ---------------------------------------------------------------------------------------

// The Ticker class (__aiter__/__anext__) iterated with `async for`: 0 1 2 3 4.
std::vector<int> ticker_async_iterator(std::ostream& out, double unit = 1.0);
// [i async for i in Ticker(1, 5) if i % 2] -> prints "[1, 3]".
std::vector<int> ticker_comprehension(std::ostream& out, double unit = 1.0);
// `async with AsyncContextTicker(1, 5) as ticker: async for i in ticker: print(i)`.
// Returns the printed lines.
std::vector<std::string> async_context_ticker(std::ostream& out, double unit = 1.0);
// The ticker as an async generator (co_yield i; then sleep): 0 1 2 3 4.
std::vector<int> ticker_generator(std::ostream& out, double unit = 1.0);
// g2 re-yields g1's values with `async for` (the async stand-in for `yield from`).
std::vector<int> yield_from_generators(std::ostream& out);
// The push-style moving averager (term = yield average; grouper asend()s 0..10).
std::vector<double> moving_averager(std::ostream& out);

// The taxi fleet discrete-event simulation: taxi_process async generators yield Events, the
// Simulator drives them with asend(time) and a priority queue. Durations come from
// random.expovariate seeded with `seed`, so the event order is reproducible (and equals
// CPython's for the same seed).
struct taxi_event {
    int time = 0;
    int proc = 0;
    std::string action;
    friend bool operator==(const taxi_event&, const taxi_event&) = default;
};
std::string to_string(const taxi_event& e);  // "Event(time=0, proc=0, action='leave garage')"
std::vector<taxi_event> taxi_simulation(std::ostream& out, std::uint64_t seed, int end_time = 180,
                                        int num_taxis = 3);

// ---------------------------------------------------------------------------------------
// Seed 001: the event loop, tasks and combinators
// ---------------------------------------------------------------------------------------

// now(): prints datetime.now(), sleeps, prints it again, sleeps, prints loop.time(); then the
// caller prints loop.time() after run_until_complete. Returns those two loop times.
std::pair<double, double> now_and_loop_time(std::ostream& out, double unit = 1.0);
// loop.call_soon(hello_world, loop) four times; the first stops the loop, yet all four
// callbacks of that pass run. Returns how many ran.
int hello_world_call_soon(std::ostream& out);
// display_date(loop): prints the date every second until 5 s have passed. Returns the count.
int display_date(std::ostream& out, double unit = 1.0);

// factorial("A", 2), factorial("B", 3), factorial("C", 4): each prints "Compute
// factorial(i)..." and sleeps 1 between steps.
// ... with asyncio.gather: returns the gathered results {2, 6, 24}.
std::vector<long> factorial_gather(std::ostream& out, double unit = 1.0);
// ... with asyncio.wait: returns the task names in completion order.
std::vector<std::string> factorial_wait(std::ostream& out, double unit = 1.0);
// ... with asyncio.as_completed: returns the results in the order as_completed yields them.
std::vector<long> factorial_as_completed(std::ostream& out, double unit = 1.0);
// ... where the step is `await loop.run_in_executor(None, time.sleep, 1)`: the blocking sleeps
// run in the default executor's threads, so the three tasks take about as long as the
// longest (3 s), not the sum (6 s). Returns the elapsed real seconds.
double factorial_run_in_executor(std::ostream& out, double unit = 1.0);
// Three blocking sleeps (e.g. 0.1, 0.2, 0.3 s) through run_in_executor, gathered. Returns the
// elapsed real seconds: about the longest, not the sum.
double blocking_sleeps_in_executor(std::ostream& out, const std::vector<double>& seconds);

// A loop running forever in a second thread; the main thread hands it work.
struct threadsafe_report {
    std::thread::id caller_thread;                  // the thread that called the example
    std::thread::id loop_thread;                    // the thread running the loop
    std::vector<std::thread::id> callback_threads;  // where each callback / coroutine ran
    double elapsed = 0;                             // real seconds until all work finished
};
// new_loop.call_soon_threadsafe(more_work, 6) and (more_work, 3): the blocking callbacks run
// one after the other on the loop thread (about 6 + 3 s).
threadsafe_report call_soon_threadsafe_example(std::ostream& out, double unit = 1.0);
// asyncio.run_coroutine_threadsafe(do_some_work(6), new_loop) and (4): both coroutines run
// concurrently on the loop thread (about 6 s in all).
threadsafe_report run_coroutine_threadsafe_example(std::ostream& out, double unit = 1.0);

// produce(queue, n) / consume(queue) over an asyncio.Queue, both sleeping random.random()
// seconds per item; None ends the stream. Returns the printed lines.
std::vector<std::string> producer_consumer(std::ostream& out, int n,
                                           const std::function<double()>& random,
                                           double unit = 1.0);
std::vector<std::string> producer_consumer(std::ostream& out, int n, std::uint64_t seed,
                                           double unit = 1.0);

// ---------------------------------------------------------------------------------------
// Seed 003 and 004: wait, gather, as_completed, callbacks
// ---------------------------------------------------------------------------------------

// @asyncio.coroutine foo() (yield from asyncio.sleep(1)) twice under asyncio.wait.
void foo_wait(std::ostream& out, double unit = 1.0);
// a(), b(), c() under asyncio.wait; a and b sleep 0.5; c sleeps too only if c_sleeps (the
// second version, which also prints the elapsed time). Returns the elapsed real seconds.
double abc_wait(std::ostream& out, bool c_sleeps, double unit = 1.0);
// main(): three ensure_future(do()) gathered; prints the list and each result.
std::vector<std::string> do_gather(std::ostream& out, double unit = 1.0);
// Two main()s under asyncio.wait, each waiting for three do() tasks. Returns how many
// "result :  hello" lines were printed (6).
int nested_wait(std::ostream& out, double unit = 1.0);
// main(): as_completed over three do() tasks; prints each result.
std::vector<std::string> do_as_completed(std::ostream& out, double unit = 1.0);
// task = ensure_future(do()); task.add_done_callback(callback): "Callback:  haha".
std::string task_done_callback(std::ostream& out);
// print(task) before and after run_until_complete: pending, then finished.
std::pair<bool, bool> task_states(std::ostream& out);
// Seed 004: gather(hello_world(), hello_lfzyx()) with a done callback printing the results.
std::vector<std::string> hello_gather_callback(std::ostream& out, double unit = 1.0);

// ---------------------------------------------------------------------------------------
// From the seeds' descriptions of the Future and Task API (no runnable code in the seeds)
// ---------------------------------------------------------------------------------------

// Future.cancel/cancelled/done/result/exception/set_result/set_exception and
// InvalidStateError, step by step. Returns the printed lines.
std::vector<std::string> future_api(std::ostream& out);
// Task.cancel(): the coroutine gets CancelledError at its await, cleans up in a handler and
// re-raises (cancelled), or swallows it and returns a value (not cancelled).
struct cancel_report {
    bool cleaned_up = false;       // the first task's handler ran
    bool first_cancelled = false;  // the first task ended cancelled
    bool second_cancelled = true;  // the second task (which refuses) ended cancelled
    std::string second_result;     // what the refusing task returned
};
cancel_report task_cancel(std::ostream& out, double unit = 1.0);
// asyncio.wait_for with a timeout shorter than the work (TimeoutError, the work is cancelled)
// and longer than it (the result). Returns {timed_out, result of the second call}.
std::pair<bool, std::string> wait_for_timeout(std::ostream& out, double unit = 1.0);
// asyncio.shield: cancelling the waiter does not cancel the shielded work, which finishes.
// Returns {waiter cancelled, inner result}.
std::pair<bool, std::string> shield_example(std::ostream& out, double unit = 1.0);

// ---------------------------------------------------------------------------------------
// Seeds 000 and 002: count() sequentially, in a thread pool and in a process pool
// ---------------------------------------------------------------------------------------

// count(number): counts to `iterations` (the seeds use 10,000,000) just to waste time and
// returns iterations * number.
inline constexpr long seed_count_iterations = 10'000'000;
long count(long number, long iterations = seed_count_iterations);
// count as a process-pool function: count(number, iterations).
inline constexpr shoal::task_def<long(long, long)> count_task{"seeds.count"};
// Registers count_task in function_registry::global() unless already there. Call it before
// creating a process pool (the pool snapshots the registry when constructed).
void register_seed_functions();

struct count_report {
    std::vector<std::pair<long, long>> items;  // (item, result) in print order
    double seconds = 0;
};
// Seed 000: evaluate(item) prints "Item %s, result %s" for items 1..10, then
// "Sequential Execution in %s seconds".
count_report count_sequential(std::ostream& out, long iterations = seed_count_iterations);
// The same through ThreadPoolExecutor(max_workers=5): evaluate runs (and prints) in the
// pool's threads, so the lines come in completion order. "Thread Pool Execution in ...".
count_report count_thread_pool(std::ostream& out, long iterations = seed_count_iterations,
                               std::size_t workers = 5);
// The same through ProcessPoolExecutor(max_workers=5): count runs in child processes; the
// parent prints each "Item" line as its future completes. Registers count_task first.
count_report count_process_pool(std::ostream& out, long iterations = seed_count_iterations,
                                std::size_t workers = 5);
// Seed 002's version: evaluate_item returns the result, which the program prints alone; the
// pools' futures are printed with concurrent.futures.as_completed. Returns the three
// reports (sequential, thread pool, process pool).
std::vector<count_report> count_evaluate_item(std::ostream& out,
                                              long iterations = seed_count_iterations);

}  // namespace shoal::seeds
