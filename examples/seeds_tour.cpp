// seeds_tour: runs every runnable example of the seeds (the Python asyncio and
// concurrent.futures tutorials Shoal grew from), ported to Shoal, in the seeds' order, and
// prints what the Python programs print. The ports live in examples/seeds/.
//
//   seeds_tour              one seed second lasts 0.1 s; count() counts to 10,000,000
//   seeds_tour --real-time  the seeds' own timing (about two minutes)
//   seeds_tour --quick      0.02 s per seed second; count() counts to 100,000
//   seeds_tour --unit 0.5   any time scale
//
// Random examples use fixed seeds; Python prints the same after random.seed(n).

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "seed_examples.hpp"

namespace {

void header(const char* seed, const std::string& title) {
    std::cout << "\n=== [" << seed << "] " << title << " ===\n" << std::flush;
}

int usage(const char* argv0) {
    std::cerr << "usage: " << argv0 << " [--quick] [--real-time] [--unit SECONDS]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    namespace seeds = shoal::seeds;
    double unit = 0.1;
    long iterations = seeds::seed_count_iterations;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--quick") {
            unit = 0.02;
            iterations = 100'000;
        } else if (arg == "--real-time") {
            unit = 1.0;
        } else if (arg == "--unit" && i + 1 < argc) {
            unit = std::atof(argv[++i]);
            if (!(unit > 0)) return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    constexpr std::uint64_t fsm_seed = 3, taxi_seed = 7, queue_seed = 105;
    std::cout << "Shoal seeds tour: one seed second = " << seeds::py_float(unit)
              << " s, count() to " << iterations << "\n";
    auto& out = std::cout;
    try {
        // Seed 000: concurrent.futures
        header("000", "count: sequential, ThreadPoolExecutor(5), ProcessPoolExecutor(5)");
        seeds::count_sequential(out, iterations);
        seeds::count_thread_pool(out, iterations);
        seeds::count_process_pool(out, iterations);

        // Seed 001: async iteration and generators
        header("001", "Ticker: async iterator, async for");
        seeds::ticker_async_iterator(out, unit);
        header("001", "async comprehension [i async for i in Ticker(1,5) if i % 2]");
        seeds::ticker_comprehension(out, unit);
        header("001", "AsyncContextTicker: async with");
        seeds::async_context_ticker(out, unit);
        header("001", "ticker async generator (co_yield)");
        seeds::ticker_generator(out, unit);
        header("001", "g2 re-yields g1 (yield from)");
        seeds::yield_from_generators(out);
        header("001", "averager: push-style coroutine (asend)");
        seeds::moving_averager(out);
        header("001", "taxi fleet simulation, random.seed(" + std::to_string(taxi_seed) + ")");
        seeds::taxi_simulation(out, taxi_seed);

        // Seed 001: the event loop
        header("001", "now(): datetime and loop.time()");
        seeds::now_and_loop_time(out, unit);
        header("001", "hello_world with loop.call_soon x4");
        seeds::hello_world_call_soon(out);
        header("001", "call_soon_threadsafe from another thread");
        seeds::call_soon_threadsafe_example(out, unit);
        header("001", "display_date(loop)");
        seeds::display_date(out, unit);
        header("001", "run_coroutine_threadsafe");
        seeds::run_coroutine_threadsafe_example(out, unit);
        header("001", "factorial with asyncio.gather");
        seeds::factorial_gather(out, unit);
        header("001", "factorial with asyncio.wait");
        seeds::factorial_wait(out, unit);
        header("001", "factorial with asyncio.as_completed");
        const auto completed = seeds::factorial_as_completed(out, unit);
        out << "(as_completed yielded:";
        for (long r : completed) out << ' ' << r;
        out << ")\n";
        header("001", "factorial with loop.run_in_executor(None, time.sleep, 1)");
        const double elapsed = seeds::factorial_run_in_executor(out, unit);
        out << "(elapsed " << seeds::py_float(elapsed) << " s; the sleeps add up to "
            << seeds::py_float(6 * unit) << " s)\n";
        header("001", "blocking sleeps in the default executor");
        seeds::blocking_sleeps_in_executor(out, {1 * unit, 2 * unit, 3 * unit});
        header("001", "producer/consumer with asyncio.Queue, random.seed(" +
                          std::to_string(queue_seed) + ")");
        seeds::producer_consumer(out, 10, queue_seed, unit);

        // Seed 002
        header("002", "count: evaluate_item with as_completed");
        seeds::count_evaluate_item(out, iterations);
        header("002", "call_later chain: function_1 .. function_4");
        seeds::call_later_chain(out, unit);
        header("002", "finite state machine, random.seed(" + std::to_string(fsm_seed) + ")");
        seeds::finite_state_machine(out, fsm_seed, unit);
        header("002", "asyncio.Future with done callbacks (N1=10, N2=20)");
        seeds::futures_with_callbacks(out, 10, 20, unit);

        // Seed 003
        header("003", "@asyncio.coroutine foo() with yield from");
        seeds::foo_wait(out, unit);
        header("003", "a(), b(), c() with asyncio.wait (c does not sleep)");
        seeds::abc_wait(out, false, unit);
        header("003", "a(), b(), c() with asyncio.wait");
        seeds::abc_wait(out, true, unit);
        header("003", "task states: pending, finished");
        seeds::task_states(out);
        header("003", "task.add_done_callback");
        seeds::task_done_callback(out);
        header("003", "main(): asyncio.gather of do() tasks");
        seeds::do_gather(out, unit);
        header("003", "nested coroutines: two main() with asyncio.wait");
        seeds::nested_wait(out, unit);
        header("003", "asyncio.as_completed of do() tasks");
        seeds::do_as_completed(out, unit);

        // Seed 004
        header("004", "gather(hello_world(), hello_lfzyx()) with a done callback");
        seeds::hello_gather_callback(out, unit);

        // The Future and Task API the seeds describe
        header("API", "Future: result, exception, cancel, callbacks");
        seeds::future_api(out);
        header("API", "Task.cancel(): clean up, or refuse");
        seeds::task_cancel(out, unit);
        header("API", "asyncio.wait_for with a timeout");
        seeds::wait_for_timeout(out, unit);
        header("API", "asyncio.shield");
        seeds::shield_example(out, unit);
    } catch (const std::exception& e) {
        std::cout << std::flush;
        std::cerr << "seeds_tour: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
