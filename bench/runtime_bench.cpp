// Microbenchmarks of the asyncio-style runtime, one per operation that bench/asyncio_peer.py
// times in Python, so that bench/compare.sh can put the two side by side.
//
// Every benchmark reports:
//   items_per_second  operations per second (state.SetItemsProcessed)
//   ns_per_op         wall nanoseconds per operation (a counter, read by compare.sh)
// All use real (wall) time: the executor round trips spend most of their time blocked, and
// the Python peer measures wall time too.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/function_registry.hpp"
#include "shoal/common/future.hpp"
#include "shoal/common/gather.hpp"
#include "shoal/common/process_pool_executor.hpp"
#include "shoal/common/task.hpp"
#include "shoal/common/task_def.hpp"
#include "shoal/common/thread_pool_executor.hpp"

namespace {

// Callbacks scheduled per call_soon iteration: enough that one loop pass dominates the cost
// of entering run_forever.
constexpr std::int64_t call_soon_batch = 10'000;
// Tasks per gather, as in the brief ("gather of 1000 trivial tasks").
constexpr std::size_t gather_width = 1'000;

// ns_per_op: with kIsRate the value is divided by the elapsed seconds, and kInvert turns
// ops*1e-9/seconds into seconds/(ops*1e-9), i.e. nanoseconds per operation.
void report(benchmark::State& state, std::int64_t ops_per_iteration) {
    const auto ops = static_cast<std::int64_t>(state.iterations()) * ops_per_iteration;
    state.SetItemsProcessed(ops);
    state.counters["ns_per_op"] = benchmark::Counter(
        static_cast<double>(ops) * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

shoal::task<int> trivial() { co_return 1; }

// --- call_soon: schedule a batch of callbacks, then one loop pass runs them all ---------
void call_soon_throughput(benchmark::State& state) {
    shoal::event_loop loop;
    std::int64_t ran = 0;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < call_soon_batch; ++i) {
            loop.call_soon([&ran] { ++ran; });
        }
        // stop() before run_forever: run exactly one pass (asyncio's rule), which runs
        // every callback queued before it.
        loop.stop();
        loop.run_forever();
    }
    benchmark::DoNotOptimize(ran);
    if (ran != static_cast<std::int64_t>(state.iterations()) * call_soon_batch) {
        state.SkipWithError("not every callback ran");
    }
    report(state, call_soon_batch);
}
BENCHMARK(call_soon_throughput)->UseRealTime();

// --- create_task + await: a coroutine creates a trivial task and awaits it --------------
// The timing loop runs inside the coroutine so that each iteration is exactly one
// create_task, one loop pass to start the task, and one wake-up of the awaiting task.
shoal::task<void> create_task_await_body(shoal::event_loop& loop, benchmark::State& state) {
    int sum = 0;
    for (auto _ : state) {
        sum += co_await loop.create_task(trivial());
    }
    benchmark::DoNotOptimize(sum);
}

void create_task_await(benchmark::State& state) {
    shoal::event_loop loop;
    loop.run_until_complete(create_task_await_body(loop, state));
    report(state, 1);
}
BENCHMARK(create_task_await)->UseRealTime();

// --- a future resolved, then awaited: create_future, set_result, co_await ---------------
shoal::task<void> future_resolved_body(shoal::event_loop& loop, benchmark::State& state) {
    int sum = 0;
    for (auto _ : state) {
        auto f = loop.create_future<int>();
        f.set_result(1);
        sum += co_await f;
    }
    benchmark::DoNotOptimize(sum);
}

void future_resolved_await(benchmark::State& state) {
    shoal::event_loop loop;
    loop.run_until_complete(future_resolved_body(loop, state));
    report(state, 1);
}
BENCHMARK(future_resolved_await)->UseRealTime();

// --- gather of 1000 trivial tasks: one op is one whole gather -----------------------------
shoal::task<void> gather_body(shoal::event_loop& loop, benchmark::State& state) {
    std::size_t total = 0;
    for (auto _ : state) {
        std::vector<shoal::future<int>> tasks;
        tasks.reserve(gather_width);
        for (std::size_t i = 0; i < gather_width; ++i) {
            tasks.push_back(loop.create_task(trivial()));
        }
        std::vector<int> results = co_await shoal::gather(std::move(tasks));
        total += results.size();
    }
    benchmark::DoNotOptimize(total);
}

void gather_1000(benchmark::State& state) {
    shoal::event_loop loop;
    loop.run_until_complete(gather_body(loop, state));
    report(state, 1);
    state.counters["tasks_per_second"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * gather_width, benchmark::Counter::kIsRate);
}
BENCHMARK(gather_1000)->UseRealTime();

// --- thread pool: submit a no-op, block on its result ------------------------------------
void thread_pool_round_trip(benchmark::State& state) {
    shoal::thread_pool_executor pool(1);
    for (auto _ : state) {
        pool.submit([] {}).result();
    }
    report(state, 1);
}
BENCHMARK(thread_pool_round_trip)->UseRealTime();

// --- process pool: submit a registered no-op, block on its result ------------------------
inline constexpr shoal::task_def<long(long)> bench_noop{"bench.noop"};

void process_pool_round_trip(benchmark::State& state) {
    static const bool registered = [] {
        shoal::function_registry::global().define(bench_noop, [](long x) { return x; });
        return true;
    }();
    benchmark::DoNotOptimize(registered);
    shoal::process_pool_executor pool(1);
    long sum = 0;
    pool.submit(bench_noop, 0L).result();  // the child is up and warm before timing
    for (auto _ : state) {
        sum += pool.submit(bench_noop, 5L).result();
    }
    benchmark::DoNotOptimize(sum);
    report(state, 1);
}
BENCHMARK(process_pool_round_trip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
