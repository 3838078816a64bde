#!/usr/bin/python3
"""The Celery peer of bench/run: Celery 5 (Debian's python3-celery), Redis broker and result
backend. Keeps the contract in bench/peers/README.md:

    /usr/bin/python3 bench/peers/celery_peer.py SUBCOMMAND [options]

    throughput     --tasks N --workers W [--pool prefork|solo]
    latency        --round-trips N --workers W [--pool prefork|solo]
    cpu            --tasks 10 --workers W [--pool prefork|solo]
    c10k           --tasks N --sleep S [--pool gevent|prefork|solo]
    queued-memory  --tasks N
    metg           --workers W [--pool prefork|solo] [--durations 0.1,0.03,...]
                   [--tasks-per-point K]
    dag            --leaves N --workers W [--pool prefork|solo]   (bench/run's DAG figure)

    common: --redis redis://127.0.0.1:PORT/DB (required), --limit-s S (default 120),
            --prefetch M (worker_prefetch_multiplier; default per figure, see below), --quick
            (accepted, shrinks nothing).

One JSON object on stdout; progress and the workers' own logs (WARNING and up) on stderr.

How the workers run. The peer starts them itself, cwd = bench/peers, as
`/usr/bin/python3 -m celery -A celery_tasks worker --without-gossip --without-mingle
--without-heartbeat --loglevel WARNING`, each in a session of its own (start_new_session), and:
  --pool prefork: one worker, --concurrency W (prefork's default fair scheduling);
  --pool solo:    W workers, --pool solo, each named celery-<peer pid>-<i>@%h;
  c10k:           one worker, --pool gevent --concurrency N (every sleep overlaps); with
                  --pool prefork|solo instead, the bounded probe the contract describes.
It waits (bounded) until every worker answers app.control.ping, then warms them (2 x W noop
tasks done) before any clock starts. It stops each worker by pid: SIGTERM, SIGKILL after a 5 s
grace, then SIGKILL to the worker's whole process group (no orphaned prefork children); also on
an exception and on SIGTERM/SIGINT/SIGHUP to the peer (peer_common.py, which holds what the
three peers share). It FLUSHDBs its Redis db when it starts and
before it exits (so a figure that stopped on its limit leaves no queued tasks behind).

Celery configuration (celery_tasks.py): JSON serialisation, early acks (task_acks_late False),
no task events, result_expires 1 h. The prefetch multiplier is chosen per figure, as a Celery
user would tune it: throughput 64 (no-op tasks: fetch in bulk; no measurable difference
from 4 here), latency 1, cpu 1, metg 1 (short tasks must spread evenly over the W processes),
c10k 1 (its concurrency is already N, so it prefetches N). A solo worker needs 2 at least
(see SOLO_MIN_PREFETCH). Override with --prefetch.

c10k, gevent: Celery 5.2.6 builds a new result backend per greenlet (celery/celery#6819,
#7960; about 10 ms of CPU per task here, 2000 tasks took 29-49 s instead of 6-12 s); the
gevent worker gets later Celery's remedy, result_backend_thread_safe (one backend per
process), backported in celery_tasks.BenchCelery. --stock-backend runs stock 5.2.6 instead.

Submission: throughput submits with apply_async in a loop on one producer (measured at least
as fast as group(...).apply_async(), which does the same with more bookkeeping); every task is
its own Celery message (no chunks). Results: ResultSet.join_native (the Redis backend's
pub/sub consumer) with interval 1 ms (see JOIN_INTERVAL_S: the default costs 0.5 s per join),
failures counted from the returned values (propagate=False). On the limit, the results
already stored are counted with MGET and reported with "complete": false.

Extra fields besides the contract's: throughput submitted, done, submit_s, client_cpu_s,
worker_cpu_s; latency mean_us, wrong; cpu worker_cpu_s; c10k submit_s, done, failed,
client/worker_cpu_s (probe: probe_tasks, probe_wall_s); queued-memory queue_len; every
figure "subcommand" and "run_s" (the whole command).

queued-memory: no worker; FLUSHDB, connect the client's producer, read INFO memory
used_memory, submit N noop() with apply_async (the AsyncResults are dropped, which drops the
result channel subscriptions apply_async makes), close the client's result pub/sub connection,
read used_memory again. Where: Redis, the broker list 'celery', one JSON message per task.

metg: the default sweep is 0.1, 0.0316, 0.01, 0.00316, 0.001, 0.000316, 0.0001 s; the sweep
(default or --durations, in the given order) stops two points after the first point whose
efficiency is below 0.5. Default --tasks-per-point 50.

Sizes tried (2-core dev box, a C++ build and other peers running alongside, load 2 to 9;
wall = the whole command: interpreter start, worker start-up ~1 s, warm-up, the figure, and
the stop, ~1.7 s for a prefork worker's warm shutdown, ~0.2 s for solo):

    subcommand and size                        wall       figure
    throughput --tasks 2000 --pool prefork     10.8 s     325 tasks/s (6.1 s measured)
    throughput --tasks 2000 --pool solo         9.0 s     378 tasks/s
    throughput --tasks 10000 --pool prefork    34.9 s     326 tasks/s
    throughput --tasks 10000 --pool solo       31.6 s     366 tasks/s
    latency --round-trips 300 (prefork, solo)   5.0 s     p50 4.1-4.5 ms, p99 11-15 ms
    cpu --tasks 10 --pool prefork              10.6 s     seq 4.2 s, par 2.5 s, x1.67
    cpu --tasks 10 --pool solo                  7.9 s     seq 4.0 s, par 2.0 s, x1.99
    c10k --tasks 2000 (gevent)                  9.0 s     wall_s 6.4
    c10k --tasks 10000 (gevent, load ~8)       41.6 s     wall_s 36.9 (26.5 s of it submitting)
    queued-memory --tasks 10000                 8.4 s     ~907 bytes per task
    queued-memory --tasks 2000                  3.0 s     ~883-894 bytes per task
    metg --durations 0.1,0.01,0.001 --tasks-per-point 20
                                  prefork 6.6 s, solo 4.1 s   metg_s ~5 ms
    metg (default sweep, 50 per point)         ~10 s      metg_s 9-16 ms (load ~8)

A quick orchestrator run of every subcommand at the small sizes above (throughput 2000,
latency 300, cpu 10, c10k 2000, queued-memory 10000, metg 3 points x 20) took 76 s for both
pools (prefork 50 s, solo 43 s, the pool-less c10k and queued-memory counted in each); with
queued-memory 2000 it is about 5 s less. Celery's own costs dominate: about 1.1-1.3 ms of
client CPU per apply_async and 1.5-2.3 ms of worker CPU per task, on 2 shared cores.

dag (bench/run's DAG figure, beside the contract's subcommands): the tree reduction of 1..N
as Celery's chord of chords, one apply_async of the whole canvas, no client in between: level
0 is add.s(i, 0) for i in 1..N; each next level is chord([x, y], sum_list.s()) over pairs of
the level below (an odd one out carried up as it is, a signature or a chord), until one
remains, so each pair's sum is a chord callback whose header holds the two chords (or leaves)
below it; N leaves make N + (N - 1) tasks, as Shoal's tree. The clock runs from building the
canvas to the root's value in the client (AsyncResult.get, interval 1 ms); the root must be
N(N+1)/2. A warm-up tree of min(N, 100) leaves runs first, not counted. Prefetch 64 (tiny
tasks, as throughput). The client's broker_pool_limit is raised to 64 (DAG_POOL_LIMIT: with
the default 10, a tree of more than 10 levels never finishes apply_async). Prints leaves,
tasks, levels, canvas_s (building the signatures), submit_s (until apply_async returned),
seconds, tasks_per_s, root, root_ok, client_cpu_s, worker_cpu_s. apply_async sends the
leaves depth first, so the tree mostly runs while it is still being sent: the client is the
bottleneck (about 3.9 ms of client CPU per task at 5,000 leaves, and more per task as the
tree deepens: each leaf's message carries its enclosing chords' callbacks, one per level).

    dag --leaves 100     6.3 s   (0.93 s measured, 214 tasks/s)
    dag --leaves 1000   13.5 s   (13.0 s measured, 154 tasks/s; a C++ build alongside)
    dag --leaves 5000   49.8 s   (45.3 s measured, 221 tasks/s; client CPU 38.7 s, workers 20.7 s)

Environment: the peer sets SHOAL_BENCH_CELERY_REDIS (the --redis URL) and
SHOAL_BENCH_CELERY_SHARED_BACKEND (1 for the gevent worker) for the workers, PYTHONPATH =
bench/peers, PYTHONDONTWRITEBYTECODE=1; nothing is needed from the caller. Workers run as
root (Celery prints a SecurityWarning on stderr; harmless with JSON-only content).
"""

import math
import os
import socket
import subprocess
import sys
import time

import peer_common
from peer_common import (LATENCY_WARMUPS, PEERS_DIR, PYTHON, STOP_GRACE_S, SUBCOMMANDS,
                         Deadline, Interrupted, LimitReached, begin_cleanup, build_parser,
                         child_pythonpath, deferred_signals, emit, finish_output,
                         install_signal_handlers, log, metg_durations, metg_of, metg_sweep_done,
                         new_output, percentile, set_log_name, stop_processes)
from peer_common import parse_args as parse_args_common

READY_LIMIT_S = 60.0
PING_TIMEOUT_S = 0.2  # one ping round while waiting for the workers to come up
GEVENT_READY_LIMIT_S = 30.0  # then c10k falls back to the probe
DEFAULT_PREFETCH = {"throughput": 64, "latency": 1, "cpu": 1, "c10k": 1, "metg": 1, "dag": 64}
# Beside the contract's subcommands (peer_common.SUBCOMMANDS): bench/run's DAG figure.
EXTRA_SUBCOMMANDS = ("dag",)
# dag: the client's pool of broker connections (broker_pool_limit, default 10). Applying a
# chord whose header holds chords nests one group._apply_tasks per level, and each takes a
# producer from the pool (_chord.apply_async does not hand its caller's producer down): with
# more levels than the pool holds, apply_async waits forever for a connection (Celery 5.2.6,
# kombu 5.2.4; observed: 5,000 leaves, 13 levels, stuck in kombu's resource acquire with no
# CPU used). 50,000 leaves are 16 levels.
DAG_POOL_LIMIT = 64
# A `--pool solo` worker with prefetch count 1 (multiplier 1 x concurrency 1) runs exactly one
# task and then never issues another BRPOP (Celery 5.2.6, kombu 5.2.4, Redis transport,
# --without-heartbeat): observed here, 50 tasks left queued and both solo workers idle. With 2
# it runs normally and still holds only the task it runs (observed: 6 spin(1.0) on 2 solo
# workers, 4 stay in the queue and 2 are unacked while the first two run).
SOLO_MIN_PREFETCH = 2
# ResultSet.join_native(interval=...): with the Redis backend it sleeps this once after its
# first MGET (celery/backends/base.py get_many, max_iterations=1); the default is 0.5 s.
JOIN_INTERVAL_S = 0.001


class WorkerStartError(RuntimeError):
    """A worker exited or did not answer a ping in time."""


# --- Redis and the Celery client ----------------------------------------------------------

def redis_client(url):
    import redis
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5)


def load_tasks(url):
    os.environ["SHOAL_BENCH_CELERY_REDIS"] = url
    sys.dont_write_bytecode = True
    if PEERS_DIR not in sys.path:
        sys.path.insert(0, PEERS_DIR)
    import celery_tasks
    return celery_tasks


# --- worker processes ----------------------------------------------------------------------

class Workers:
    """The celery worker processes of one figure; a context manager that always stops them."""

    def __init__(self, url, pool, workers, prefetch, concurrency=None, shared_backend=False):
        self.url = url
        self.shared_backend = shared_backend
        self.pool = pool
        self.workers = workers
        self.prefetch = prefetch
        self.concurrency = concurrency
        self.procs = []
        self.names = []

    def commands(self):
        base = [PYTHON, "-m", "celery", "--quiet", "-A", "celery_tasks", "worker",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", "WARNING", "--prefetch-multiplier", str(self.prefetch)]
        tag = f"celery-{os.getpid()}"
        if self.pool == "solo":
            return [(f"{tag}-{i}@%h", base + ["--pool", "solo", "--concurrency", "1"])
                    for i in range(self.workers)]
        concurrency = self.concurrency or self.workers
        return [(f"{tag}-0@%h", base + ["--pool", self.pool, "--concurrency", str(concurrency)])]

    def __enter__(self):
        env = dict(os.environ)
        env["SHOAL_BENCH_CELERY_REDIS"] = self.url
        env["PYTHONPATH"] = child_pythonpath()
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["SHOAL_BENCH_CELERY_SHARED_BACKEND"] = "1" if self.shared_backend else "0"
        try:
            for name, cmd in self.commands():
                cmd = cmd + ["-n", name]
                with deferred_signals():  # no Interrupted between the fork and the bookkeeping
                    proc = subprocess.Popen(cmd, cwd=PEERS_DIR, env=env, stdin=subprocess.DEVNULL,
                                            stdout=sys.stderr.fileno(),
                                            stderr=sys.stderr.fileno(),
                                            start_new_session=True)
                    self.procs.append(proc)
                self.names.append(name.replace("%h", socket.gethostname()))
            log(f"started {len(self.procs)} worker(s), pool {self.pool}, pids",
                [p.pid for p in self.procs])
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def check_alive(self):
        for proc in self.procs:
            if proc.poll() is not None:
                raise WorkerStartError(f"celery worker pid {proc.pid} exited with "
                                       f"{proc.returncode}")

    def wait_ready(self, app, deadline):
        """Bounded wait until every worker answers a ping."""
        limit = min(READY_LIMIT_S, max(1.0, deadline.remaining()))
        start = time.monotonic()
        answered = set()
        while True:
            self.check_alive()
            replies = app.control.ping(destination=self.names, timeout=PING_TIMEOUT_S) or []
            for reply in replies:
                answered.update(reply.keys())
            if all(name in answered for name in self.names):
                log(f"workers ready after {time.monotonic() - start:.2f} s")
                return
            if time.monotonic() - start > limit:
                raise WorkerStartError(f"celery workers not ready after {limit:.0f} s "
                                       f"(answered: {sorted(answered)})")

    def cpu_seconds(self):
        """User + system CPU seconds of the workers and their children so far."""
        import psutil
        total = 0.0
        for proc in self.procs:
            try:
                p = psutil.Process(proc.pid)
                for q in [p] + p.children(recursive=True):
                    times = q.cpu_times()
                    total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def stop(self):
        # SIGTERM/SIGINT wait until every worker is gone (then Interrupted is raised).
        with deferred_signals():
            self._stop()

    def _stop(self):
        started = time.monotonic()
        if any(proc.poll() is None for proc in self.procs):
            # Drop what is still queued (a figure cut short by its limit or a signal) so that
            # the workers' warm shutdown does not work through it.
            try:
                import redis
                redis.Redis.from_url(self.url, socket_timeout=2,
                                     socket_connect_timeout=2).delete("celery")
            except Exception as e:
                log(f"could not empty the queue before the stop: {e!r}")
        # SIGTERM to each worker's pid (a prefork worker's warm shutdown stops its children),
        # then SIGKILL to its whole session: no orphaned prefork children.
        stop_processes(self.procs, STOP_GRACE_S)
        if self.procs:
            log(f"workers stopped in {time.monotonic() - started:.2f} s")
        self.procs = []


def warm_up(tasks, workers, deadline):
    results = [tasks.noop.apply_async() for _ in range(2 * workers)]
    for r in results:
        r.get(timeout=max(1.0, min(60.0, deadline.remaining())))


def join_all(results, deadline):
    """Waits for every result (bounded by the deadline). Returns (done, failed, timed_out)."""
    from celery.exceptions import TimeoutError as CeleryTimeout
    from celery.result import ResultSet
    state = {"done": 0, "failed": 0}

    def callback(_task_id, value):
        state["done"] += 1
        if isinstance(value, BaseException):
            state["failed"] += 1

    timed_out = False
    remaining = deadline.remaining()
    if remaining <= 0:
        return count_ready(results), 0, True
    try:
        # interval: join_native first MGETs every result once and, if any is not ready yet,
        # sleeps `interval` (default 0.5 s) before it listens on pub/sub; keep that short.
        ResultSet(results).join_native(timeout=remaining, propagate=False, callback=callback,
                                       interval=JOIN_INTERVAL_S, disable_sync_subtasks=False)
    except (CeleryTimeout, socket.timeout):
        timed_out = True
        # What we got: the results already stored, whether or not the join had seen them.
        state["done"] = max(state["done"], count_ready(results))
    return state["done"], state["failed"], timed_out


def count_ready(results, chunk=1000):
    """How many of these results are stored in the backend now (one MGET per chunk)."""
    if not results:
        return 0
    backend = results[0].backend
    ready = 0
    try:
        for i in range(0, len(results), chunk):
            keys = [backend.get_key_for_task(r.id) for r in results[i:i + chunk]]
            ready += sum(1 for v in backend.client.mget(keys) if v is not None)
    except Exception as e:
        log(f"could not count the stored results: {e!r}")
    return ready


def submit_loop(task, args_list, deadline, check_every=256):
    """apply_async for each argument tuple on one producer; stops at the deadline."""
    app = task.app
    results = []
    with app.producer_or_acquire() as producer:
        for i, args in enumerate(args_list):
            if i % check_every == 0 and deadline.expired():
                raise LimitReached(results)
            results.append(task.apply_async(args, producer=producer))
    return results


def base_output(name, args, extra_config=None):
    import celery
    config = {"broker": "redis", "result_backend": "redis", "celery": celery.__version__,
              "redis_url": args.redis, "limit_s": args.limit_s}
    if extra_config:
        config.update(extra_config)
    return new_output("celery", config, subcommand=name)


# --- subcommands ---------------------------------------------------------------------------

def cmd_throughput(args, tasks, deadline):
    out = base_output("throughput", args, {"pool": args.pool, "workers": args.workers,
                                           "prefetch_multiplier": args.prefetch,
                                           "submit": "apply_async loop, one producer",
                                           "wait": "ResultSet.join_native"})
    with Workers(args.redis, args.pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        warm_up(tasks, args.workers, deadline)
        log(f"submitting {args.tasks} noop()")
        cpu0, wcpu0 = time.process_time(), workers.cpu_seconds()
        start = time.perf_counter()
        notes = []
        try:
            results = submit_loop(tasks.noop, [()] * args.tasks, deadline)
        except LimitReached as e:
            results = e.args[0]
            notes.append(f"limit {args.limit_s} s reached while submitting: "
                         f"{len(results)} of {args.tasks} submitted")
        submitted_s = time.perf_counter() - start
        done, failed, timed_out = join_all(results, deadline)
        seconds = time.perf_counter() - start
        cpu = {"client_cpu_s": time.process_time() - cpu0,
               "worker_cpu_s": workers.cpu_seconds() - wcpu0}
    if timed_out:
        notes.append(f"limit {args.limit_s} s reached while waiting: {done} results of "
                     f"{len(results)} submitted")
    out.update({"tasks": args.tasks, "workers": args.workers,
                "seconds": seconds, "tasks_per_s": done / seconds if seconds > 0 else None,
                "failed": failed, "submitted": len(results), "done": done,
                "submit_s": submitted_s, **cpu})
    return finish_output(out, not notes, notes)


def cmd_latency(args, tasks, deadline):
    out = base_output("latency", args, {"pool": args.pool, "workers": args.workers,
                                        "prefetch_multiplier": args.prefetch,
                                        "warmups": LATENCY_WARMUPS,
                                        "call": "add.apply_async((1, 2)).get()"})
    from celery.exceptions import TimeoutError as CeleryTimeout
    samples, wrong, notes = [], 0, []
    with Workers(args.redis, args.pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        try:
            for i in range(LATENCY_WARMUPS + args.round_trips):
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise LimitReached()
                t0 = time.perf_counter_ns()
                value = tasks.add.apply_async((1, 2)).get(timeout=min(remaining, 60.0))
                t1 = time.perf_counter_ns()
                if i >= LATENCY_WARMUPS:
                    samples.append((t1 - t0) / 1000.0)
                    if value != 3:
                        wrong += 1
        except (LimitReached, CeleryTimeout, socket.timeout):
            notes.append(f"limit {args.limit_s} s reached after {len(samples)} of "
                         f"{args.round_trips} round trips")
    ordered = sorted(samples)
    if wrong:
        notes.append(f"{wrong} results were not 3")
    out.update({"round_trips": len(samples), "p50_us": percentile(ordered, 0.50),
                "p99_us": percentile(ordered, 0.99), "p999_us": percentile(ordered, 0.999),
                "mean_us": sum(samples) / len(samples) if samples else None,
                "wrong": wrong, "samples_us": [round(s, 1) for s in samples]})
    return finish_output(out, not notes, notes)


def cmd_cpu(args, tasks, deadline):
    out = base_output("cpu", args, {"pool": args.pool, "workers": args.workers,
                                    "prefetch_multiplier": args.prefetch,
                                    "count_loop": tasks.COUNT_LOOP})
    from celery.exceptions import TimeoutError as CeleryTimeout
    numbers = list(range(1, args.tasks + 1))
    expected = {n: tasks.COUNT_LOOP * n for n in numbers}
    ok, notes = True, []
    sequential_s = parallel_s = None
    with Workers(args.redis, args.pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        warm_up(tasks, args.workers, deadline)
        wcpu0 = workers.cpu_seconds()
        try:
            start = time.perf_counter()
            for n in numbers:
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise LimitReached("sequential")
                ok &= tasks.count.apply_async((n,)).get(timeout=remaining) == expected[n]
            sequential_s = time.perf_counter() - start
            log(f"sequential {sequential_s:.2f} s")

            start = time.perf_counter()
            results = [tasks.count.apply_async((n,)) for n in numbers]
            for n, r in zip(numbers, results):
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise LimitReached("parallel")
                ok &= r.get(timeout=remaining) == expected[n]
            parallel_s = time.perf_counter() - start
            log(f"parallel {parallel_s:.2f} s")
        except (LimitReached, CeleryTimeout, socket.timeout) as e:
            notes.append(f"limit {args.limit_s} s reached during the "
                         f"{'sequential' if sequential_s is None else 'parallel'} run ({e!r})")
        worker_cpu_s = workers.cpu_seconds() - wcpu0
    out.update({"tasks": args.tasks, "sequential_s": sequential_s, "parallel_s": parallel_s,
                "speedup": (sequential_s / parallel_s) if sequential_s and parallel_s else None,
                "results_ok": bool(ok) and not notes, "worker_cpu_s": worker_cpu_s})
    return finish_output(out, not notes, notes)


def gevent_usable():
    try:
        import gevent  # noqa: F401
        return True
    except Exception as e:  # pragma: no cover - depends on the host
        log(f"gevent not importable: {e!r}")
        return False


def cmd_c10k(args, tasks, deadline):
    pool = args.pool or "gevent"
    notes = []
    if pool == "gevent" and not gevent_usable():
        notes.append("gevent is not usable here, so the bounded probe ran instead")
        pool = "prefork"
    if pool == "gevent":
        try:
            return c10k_gevent(args, tasks, deadline)
        except WorkerStartError as e:
            log(f"the gevent worker did not start: {e}; running the probe instead")
            notes.append(f"the gevent worker did not start ({e}), so the bounded probe ran")
            pool = "prefork"
    return c10k_probe(args, tasks, deadline, pool, notes)


def c10k_gevent(args, tasks, deadline):
    backend = ("one result backend per greenlet (stock Celery 5.2.6)" if args.stock_backend
               else "one result backend per worker process (later Celery's "
                    "result_backend_thread_safe, backported in celery_tasks.BenchCelery)")
    how = (f"one celery worker, --pool gevent --concurrency {args.tasks} "
           f"(prefetch {args.prefetch} x {args.tasks}), {backend}; sleep(s) is time.sleep, "
           f"gevent-patched; all {args.tasks} apply_async, then ResultSet.join_native")
    out = base_output("c10k", args, {"pool": "gevent", "concurrency": args.tasks,
                                     "prefetch_multiplier": args.prefetch,
                                     "sleep_s": args.sleep,
                                     "shared_result_backend": not args.stock_backend})
    notes = []
    with Workers(args.redis, "gevent", 1, args.prefetch, concurrency=args.tasks,
                 shared_backend=not args.stock_backend) as workers:
        workers.wait_ready(tasks.app, deadline.capped(GEVENT_READY_LIMIT_S))
        warm_up(tasks, 1, deadline)
        cpu0, wcpu0 = time.process_time(), workers.cpu_seconds()
        start = time.perf_counter()
        try:
            results = submit_loop(tasks.sleep, [(args.sleep,)] * args.tasks, deadline)
        except LimitReached as e:
            results = e.args[0]
            notes.append(f"limit {args.limit_s} s reached while submitting: "
                         f"{len(results)} of {args.tasks} submitted")
        submit_s = time.perf_counter() - start
        log(f"submitted {len(results)} in {submit_s:.2f} s")
        done, failed, timed_out = join_all(results, deadline)
        wall = time.perf_counter() - start
        cpu = {"client_cpu_s": time.process_time() - cpu0,
               "worker_cpu_s": workers.cpu_seconds() - wcpu0}
    if timed_out:
        notes.append(f"limit {args.limit_s} s reached while waiting: {done} of "
                     f"{len(results)} done")
    if failed:
        notes.append(f"{failed} tasks failed")
    out.update({"tasks": args.tasks, "wall_s": wall if not notes else None,
                "projected_s": None, "how": how, "submit_s": submit_s, "done": done,
                "failed": failed, **cpu})
    return finish_output(out, not notes,
                         "; ".join(notes) + f" (elapsed {wall:.2f} s)" if notes else None)


def c10k_probe(args, tasks, deadline, pool, notes):
    probe = 4 * args.workers
    rounds = math.ceil(probe / args.workers)
    out = base_output("c10k", args, {"pool": pool, "workers": args.workers,
                                     "prefetch_multiplier": args.prefetch,
                                     "sleep_s": args.sleep, "probe_tasks": probe})
    with Workers(args.redis, pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        warm_up(tasks, args.workers, deadline)
        start = time.perf_counter()
        results = submit_loop(tasks.sleep, [(args.sleep,)] * probe, deadline)
        done, failed, timed_out = join_all(results, deadline)
        probe_wall = time.perf_counter() - start
    per_round = probe_wall / rounds
    projected = per_round * math.ceil(args.tasks / args.workers)
    notes.append(f"no overlapping pool (--pool {pool}): a bounded probe of {probe} tasks on "
                 f"{args.workers} workers took {probe_wall:.2f} s ({rounds} rounds); "
                 f"projected_s = {per_round:.3f} s per round x ceil({args.tasks}/{args.workers})")
    if timed_out or failed:
        notes.append(f"probe: {done} done, {failed} failed, timed out: {timed_out}")
    out.update({"tasks": args.tasks, "wall_s": None, "projected_s": projected,
                "how": f"probe, --pool {pool} x {args.workers}", "probe_tasks": probe,
                "probe_wall_s": probe_wall})
    return finish_output(out, not (timed_out or failed), notes)


def cmd_queued_memory(args, tasks, deadline):
    out = base_output("queued-memory", args, {"queue": "celery (a Redis list)",
                                              "submit": "noop.apply_async()"})
    r = redis_client(args.redis)
    app = tasks.app
    # Connect the client first so its own connections are in "before".
    app.backend.client.ping()
    notes = []
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=3)
        time.sleep(0.05)
        before = int(r.info("memory")["used_memory"])
        submitted = 0
        try:
            for i in range(args.tasks):
                if i % 256 == 0 and deadline.expired():
                    raise LimitReached()
                tasks.noop.apply_async(producer=producer)
                submitted += 1
        except LimitReached:
            notes.append(f"limit {args.limit_s} s reached: {submitted} of {args.tasks} "
                         f"submitted")
    # apply_async SUBSCRIBEs the client to each task's result channel; the AsyncResults are
    # dropped at once here, which unsubscribes them again. Close the client's pub/sub
    # connection too, so that "after" holds the same client connections as "before".
    consumer = app.backend.result_consumer
    if consumer is not None:
        consumer.stop()
        consumer.subscribed_to.clear()
    time.sleep(0.2)
    after = int(r.info("memory")["used_memory"])
    queue_len = int(r.llen("celery"))
    if queue_len != submitted:
        notes.append(f"queue holds {queue_len} messages, {submitted} submitted")
    out.update({"tasks": submitted, "bytes_before": before, "bytes_after": after,
                "bytes_per_task": (after - before) / submitted if submitted else None,
                "where": "redis used_memory; the tasks are the messages of the broker list "
                         "'celery' (no result keys until a worker runs them)",
                "queue_len": queue_len})
    return finish_output(out, not notes, notes)


def cmd_metg(args, tasks, deadline):
    durations = metg_durations(args.durations)
    k = args.tasks_per_point
    out = base_output("metg", args, {"pool": args.pool, "workers": args.workers,
                                     "prefetch_multiplier": args.prefetch,
                                     "tasks_per_point": k, "durations": durations,
                                     "stop_rule": "two points after the first below 0.5"})
    points, notes = [], []
    with Workers(args.redis, args.pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        warm_up(tasks, args.workers, deadline)
        for d in durations:
            if metg_sweep_done(points):
                break
            if deadline.expired():
                notes.append(f"limit {args.limit_s} s reached before d = {d}")
                break
            start = time.perf_counter()
            try:
                results = submit_loop(tasks.spin, [(d,)] * k, deadline)
            except LimitReached:
                notes.append(f"limit {args.limit_s} s reached while submitting d = {d}")
                break
            done, failed, timed_out = join_all(results, deadline)
            wall = time.perf_counter() - start
            if timed_out or failed:
                notes.append(f"d = {d}: {done} of {k} done, {failed} failed, "
                             f"timed out: {timed_out}")
                break
            efficiency = k * d / (args.workers * wall)
            points.append({"task_s": d, "tasks": k, "wall_s": wall,
                           "efficiency": efficiency})
            log(f"metg d={d} wall={wall:.3f} s efficiency={efficiency:.3f}")
    out.update({"points": points, "metg_s": metg_of(points)})
    return finish_output(out, not notes, notes)


def chord_tree(tasks, leaves):
    """The DAG figure's canvas: the pairwise sums of 1..leaves as nested chords. Returns the
    root signature, the number of tasks it runs and of levels above the leaves."""
    from celery import chord
    level = [tasks.add.s(i, 0) for i in range(1, leaves + 1)]
    count, levels = leaves, 0
    while len(level) > 1:
        pairs = [chord([level[k], level[k + 1]], tasks.sum_list.s())
                 for k in range(0, len(level) - 1, 2)]
        count += len(pairs)
        levels += 1
        level = pairs + level[len(pairs) * 2:]
    return level[0], count, levels


def cmd_dag(args, tasks, deadline):
    from celery.exceptions import TimeoutError as CeleryTimeout
    n = args.leaves
    expected = n * (n + 1) // 2
    out = base_output("dag", args, {"pool": args.pool, "workers": args.workers,
                                    "prefetch_multiplier": args.prefetch,
                                    "client_broker_pool_limit": DAG_POOL_LIMIT,
                                    "how": "chord of chords: chord([x, y], sum_list.s()) per pair, "
                                           "one apply_async of the root, AsyncResult.get"})
    # Before the first use of the pool, which creates it (see DAG_POOL_LIMIT).
    tasks.app.conf.broker_pool_limit = DAG_POOL_LIMIT
    notes = []
    value = seconds = canvas_s = submit_s = count = levels = None
    with Workers(args.redis, args.pool, args.workers, args.prefetch) as workers:
        workers.wait_ready(tasks.app, deadline)
        warm_up(tasks, args.workers, deadline)
        warm = min(n, 100)
        root, _, _ = chord_tree(tasks, warm)
        if root.apply_async().get(timeout=max(1.0, deadline.remaining()),
                                  interval=JOIN_INTERVAL_S) != warm * (warm + 1) // 2:
            raise RuntimeError("the warm-up tree's root is wrong")
        log(f"building and submitting the tree of {n} leaves")
        cpu0, wcpu0 = time.process_time(), workers.cpu_seconds()
        start = time.perf_counter()
        root, count, levels = chord_tree(tasks, n)
        canvas_s = time.perf_counter() - start
        result = root.apply_async()
        submit_s = time.perf_counter() - start
        log(f"canvas built in {canvas_s:.2f} s, submitted in {submit_s - canvas_s:.2f} s")
        try:
            value = result.get(timeout=max(0.001, deadline.remaining()), interval=JOIN_INTERVAL_S)
            seconds = time.perf_counter() - start
        except (CeleryTimeout, socket.timeout):
            notes.append(f"limit {args.limit_s} s reached: no root after "
                         f"{time.perf_counter() - start:.1f} s")
        cpu = {"client_cpu_s": time.process_time() - cpu0,
               "worker_cpu_s": workers.cpu_seconds() - wcpu0}
    if value is not None and value != expected:
        notes.append(f"the root is {value}, not {expected}")
    out.update({"leaves": n, "tasks": count, "levels": levels, "canvas_s": canvas_s,
                "submit_s": submit_s, "seconds": seconds,
                "tasks_per_s": count / seconds if seconds else None, "root": value,
                "expected": expected, "root_ok": value == expected, **cpu})
    return finish_output(out, not notes, notes)


# --- main ----------------------------------------------------------------------------------

def parse_args(argv):
    pools = ["prefork", "solo"]
    pool = {"choices": pools, "default": "prefork"}
    # build_parser makes one subparser per name in peer_common.SUBCOMMANDS.
    peer_common.SUBCOMMANDS = tuple(dict.fromkeys(SUBCOMMANDS + EXTRA_SUBCOMMANDS))
    parser, subs = build_parser(
        "celery", "The Celery peer of bench/run.",
        pools={"throughput": pool, "latency": pool, "cpu": pool, "metg": pool, "dag": pool,
               "c10k": {"choices": ["gevent"] + pools, "default": "gevent"}},
        tasks_per_point=50, redis_help="redis://127.0.0.1:PORT/DB")
    subs["dag"].add_argument("--leaves", type=int, default=50000,
                             help="the tree reduction's leaves (2 x leaves - 1 tasks)")
    for p in subs.values():
        p.add_argument("--prefetch", type=int, default=None,
                       help="worker_prefetch_multiplier (default per figure)")
    subs["c10k"].add_argument("--stock-backend", action="store_true",
                              help="gevent: keep Celery 5.2.6's result backend per greenlet (slow)")
    args = parse_args_common(parser, argv)
    args.prefetch_note = None
    if args.prefetch is None:
        args.prefetch = DEFAULT_PREFETCH.get(args.command, 4)
        if getattr(args, "pool", None) == "solo":
            args.prefetch = max(args.prefetch, SOLO_MIN_PREFETCH)
    if getattr(args, "pool", None) == "solo" and args.prefetch < SOLO_MIN_PREFETCH:
        # See SOLO_MIN_PREFETCH: a solo worker with prefetch count 1 stops after one task.
        args.prefetch_note = (f"--pool solo runs with prefetch multiplier {SOLO_MIN_PREFETCH}, "
                              f"not {args.prefetch}: with 1 a solo worker stops consuming "
                              f"after its first task (Celery 5.2.6, kombu 5.2.4, Redis)")
        args.prefetch = SOLO_MIN_PREFETCH
    if args.prefetch < 1:
        parser.error("--prefetch must be >= 1")
    if getattr(args, "leaves", 1) < 1:
        parser.error("--leaves must be >= 1")
    return args


COMMANDS = {"throughput": cmd_throughput, "latency": cmd_latency, "cpu": cmd_cpu,
            "c10k": cmd_c10k, "queued-memory": cmd_queued_memory, "metg": cmd_metg,
            "dag": cmd_dag}


def main(argv):
    set_log_name("celery_peer")
    args = parse_args(argv)
    install_signal_handlers()
    deadline = Deadline(args.limit_s)
    r = redis_client(args.redis)
    try:
        r.ping()
    except Exception as e:
        log(f"cannot reach Redis at {args.redis}: {e!r}")
        return 2
    started = time.monotonic()
    try:
        r.flushdb()
        tasks = load_tasks(args.redis)
        out = COMMANDS[args.command](args, tasks, deadline)
    except Interrupted as e:
        log(f"interrupted ({e}); workers stopped")
        return e.exit_code
    except Exception as e:
        log(f"{args.command} failed: {e!r}")
        return 1
    finally:
        begin_cleanup()
        try:
            r.flushdb()
        except Exception as e:
            log(f"FLUSHDB at exit failed: {e!r}")
    if args.prefetch_note:
        out.setdefault("config", {})["prefetch_note"] = args.prefetch_note
    out["run_s"] = time.monotonic() - started
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
