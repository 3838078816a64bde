#!/usr/bin/python3
"""The Python peer of bench/runtime_bench.cpp, sleep_100k.cpp and count_example.cpp.

Times the same operations with stdlib asyncio and concurrent.futures and prints one JSON
object on stdout. Every microbenchmark reports wall nanoseconds per operation (ns_per_op),
the median of REPEATS timed runs, each sized to last about RUN_SECONDS.

    /usr/bin/python3 bench/asyncio_peer.py             # everything
    /usr/bin/python3 bench/asyncio_peer.py --no-count  # skip the slow count example (~10 s)
    /usr/bin/python3 bench/asyncio_peer.py --quick     # shorter runs, noisier figures

The 100k-sleep run happens in a child process of its own so that its peak RSS
(resource.getrusage ru_maxrss) is not the microbenchmarks' peak.
"""

import argparse
import asyncio
import concurrent.futures
import json
import resource
import statistics
import subprocess
import sys
import time

CALL_SOON_BATCH = 10_000   # callbacks per loop pass, as in runtime_bench.cpp
GATHER_WIDTH = 1_000       # tasks per gather
SLEEP_TASKS = 100_000
SLEEP_SECONDS = 1.0
COUNT_LOOP = 10_000_000    # the seed's count example
COUNT_NUMBERS = list(range(1, 11))
THREAD_WORKERS = 5
PROCESS_WORKERS = 2

REPEATS = 5
RUN_SECONDS = 0.3
CALIBRATE_SECONDS = 0.05


def measure(run, ops_per_call=1):
    """run(n) performs n calls and returns the elapsed wall seconds. Returns the median wall
    ns per op, and the median CPU ns per op of this process (time.process_time)."""
    n = 1
    while True:
        elapsed = run(n)
        if elapsed >= CALIBRATE_SECONDS:
            break
        n *= 2
    n = max(1, int(n * RUN_SECONDS / elapsed))
    samples, cpu_samples = [], []
    for _ in range(REPEATS):
        cpu_start = time.process_time()
        samples.append(run(n) / (n * ops_per_call) * 1e9)
        cpu_samples.append((time.process_time() - cpu_start) / (n * ops_per_call) * 1e9)
    return {"ns_per_op": statistics.median(samples), "calls_per_run": n,
            "min_ns_per_op": min(samples), "cpu_ns_per_op": statistics.median(cpu_samples)}


# --- event loop microbenchmarks -----------------------------------------------------------

def bench_call_soon():
    loop = asyncio.new_event_loop()
    ran = 0

    def cb():
        nonlocal ran
        ran += 1

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            for _ in range(CALL_SOON_BATCH):
                loop.call_soon(cb)
            loop.stop()          # before run_forever: exactly one pass
            loop.run_forever()
        return time.perf_counter() - start

    try:
        return measure(run, CALL_SOON_BATCH)
    finally:
        loop.close()


async def trivial():
    return 1


async def create_task_await(n):
    start = time.perf_counter()
    total = 0
    for _ in range(n):
        total += await asyncio.create_task(trivial())
    return time.perf_counter() - start


async def future_resolved_await(n):
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    total = 0
    for _ in range(n):
        f = loop.create_future()
        f.set_result(1)
        total += await f
    return time.perf_counter() - start


async def gather_1000(n):
    start = time.perf_counter()
    for _ in range(n):
        tasks = [asyncio.create_task(trivial()) for _ in range(GATHER_WIDTH)]
        results = await asyncio.gather(*tasks)
        assert len(results) == GATHER_WIDTH
    return time.perf_counter() - start


def bench_coroutine(body):
    loop = asyncio.new_event_loop()
    try:
        return measure(lambda n: loop.run_until_complete(body(n)))
    finally:
        loop.close()


# --- executors ----------------------------------------------------------------------------

def noop(x=None):
    return x


def bench_executor(pool):
    with pool:
        pool.submit(noop, 0).result()  # workers up and warm before timing

        def run(n):
            start = time.perf_counter()
            for _ in range(n):
                pool.submit(noop, 5).result()
            return time.perf_counter() - start

        return measure(run)


# --- 100k concurrent sleeps (child process) ------------------------------------------------

async def sleep_all():
    tasks = [asyncio.create_task(asyncio.sleep(SLEEP_SECONDS)) for _ in range(SLEEP_TASKS)]
    return len(await asyncio.gather(*tasks))


def sleep_100k_child():
    start = time.perf_counter()
    finished = asyncio.run(sleep_all())
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"tasks": finished, "sleep_s": SLEEP_SECONDS, "wall_s": wall,
                      "peak_rss_mb": peak_kib / 1024.0}))


def bench_sleep_100k():
    out = subprocess.run([sys.executable, __file__, "--sleep-100k-child"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# --- the seeds' count example ----------------------------------------------------------------

def count(number):
    for i in range(0, COUNT_LOOP):
        i = i + 1
    return i * number


def bench_count():
    def timed(fn):
        start = time.perf_counter()
        results = fn()
        assert results == [COUNT_LOOP * n for n in COUNT_NUMBERS]
        return time.perf_counter() - start

    def in_pool(pool):
        with pool:
            futures = [pool.submit(count, n) for n in COUNT_NUMBERS]
            return [f.result() for f in futures]

    sequential = timed(lambda: [count(n) for n in COUNT_NUMBERS])
    threads = timed(lambda: in_pool(concurrent.futures.ThreadPoolExecutor(THREAD_WORKERS)))
    processes = timed(lambda: in_pool(concurrent.futures.ProcessPoolExecutor(PROCESS_WORKERS)))
    return {"sequential_s": sequential, "thread_pool_s": threads, "process_pool_s": processes,
            "speedup_thread_pool": sequential / threads,
            "speedup_process_pool": sequential / processes}


def main():
    global REPEATS, RUN_SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-count", action="store_true", help="skip the count example")
    parser.add_argument("--quick", action="store_true", help="shorter, noisier runs")
    parser.add_argument("--sleep-100k-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sleep_100k_child:
        sleep_100k_child()
        return
    if args.quick:
        REPEATS, RUN_SECONDS = 3, 0.1

    report = {
        "python": sys.version.split()[0],
        "call_soon": bench_call_soon(),
        "create_task_await": bench_coroutine(create_task_await),
        "future_resolved_await": bench_coroutine(future_resolved_await),
        "gather_1000": bench_coroutine(gather_1000),
        "thread_pool_round_trip": bench_executor(concurrent.futures.ThreadPoolExecutor(1)),
        "process_pool_round_trip": bench_executor(concurrent.futures.ProcessPoolExecutor(1)),
        "sleep_100k": bench_sleep_100k(),
    }
    if not args.no_count:
        report["count_example"] = bench_count()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
