#!/usr/bin/python3
"""The Dask peer of bench/run: Dask distributed (Debian's python3-distributed 2022.12), driven
by the contract in bench/peers/README.md.

    /usr/bin/python3 bench/peers/dask_peer.py SUBCOMMAND [options]

One JSON object on stdout, nothing else there: file descriptor 1 is pointed at stderr for the
whole run (also for the spawned worker processes, which inherit it) and the JSON goes to a
duplicate of the original stdout at the end.

How Dask runs here
------------------
- `LocalCluster(n_workers=W, threads_per_worker=1, processes=True, host="127.0.0.1",
  dashboard_address="127.0.0.1:0")`: the scheduler and the W nannies live in this process,
  each nanny spawns one worker process (multiprocessing "spawn", Dask's default). Loopback
  only. There is no dashboard (bokeh is not installed), but Dask starts its small HTTP
  server (health, metrics) on every scheduler and worker whatever dashboard_address says;
  None would put the scheduler's on 127.0.0.1:8787, so it is pinned to 127.0.0.1, any
  port. `--redis` and `--pool` are accepted and ignored (Dask needs no broker and has no
  pool option; a given --pool shows as config.pool_ignored); `--quick` is accepted and
  ignored.
- Task bodies are in bench/peers/dask_tasks.py (the workers unpickle them by reference);
  bench/peers is on sys.path (and PYTHONPATH) of every process started here.
- Warm-up: before any clock starts, all W workers are connected and each has run one
  noop() (so each has imported dask_tasks).
- Every submit uses pure=False: each call is its own task with its own key.
- Results are fetched into this process (client.gather / future.result) inside the clock:
  the clock stops at the last result in the client, not when the scheduler saw it done.
  throughput also reports `wait_s` (first submit to "all finished" on the scheduler) and
  c10k `wait_s` likewise.

Subcommands (fields beyond the contract's are extra information)
-----------------------------------------------------------------
- throughput: client.map(noop, range(N), pure=False) (one batch, N separate tasks), then
  distributed.wait, then client.gather. noop takes an ignored optional argument only
  because client.map needs an iterable.
- latency: N x client.submit(add, 1, 2, pure=False).result(); 50 warm-ups; samples in
  microseconds (perf_counter_ns), percentiles by nearest rank.
- cpu: count(n) for n = 1..N (seed 002), sequential then parallel.
- c10k: `async def` tasks (dask_tasks.async_sleep). distributed 2022.12 awaits a coroutine
  function on the worker's event loop (Worker.execute -> apply_function_async, no thread),
  but the worker state machine (WorkerState._ensure_computing) never executes more than
  nthreads tasks at once, async or not. Measured: 20 async 0.5 s sleeps on 2 workers took
  5.04 s with threads_per_worker=1 (no overlap beyond one per worker) and 0.53 s with
  threads_per_worker=10. So Dask's way to overlap N waits is async def tasks plus
  nthreads >= N/W task slots per worker (its ThreadPoolExecutor makes threads lazily, only
  for sync tasks: a worker with nthreads=5000 running 5000 coroutines had 4-5 threads).
  c10k therefore starts its cluster with threads_per_worker = ceil(N/W) by default (the
  analogue of Celery's --pool gevent --concurrency N), runs a probe of min(N, 4W) tasks,
  and if the probe overlapped (more than 1.5 W sleeps at once) runs the real N. With
  `--threads-per-worker 1` (the other subcommands' configuration) the probe does not
  overlap, and it reports wall_s null and projected_s = N * probe_wall / probe_tasks.
- queued-memory: a scheduler alone in its own process (python3 -m
  distributed.cli.dask_scheduler, loopback, no dashboard, no worker at all), so the RSS
  measured is the scheduler's only, not this client's futures. 100 tasks are submitted and
  cancelled first (warms the code paths), then RSS before (after gc.collect in the
  scheduler), N noop tasks submitted with client.map, polled until the scheduler holds all N
  (state "queued": queuing is on by default in 2022.12, worker-saturation 1.1), RSS after
  (after gc.collect). The client's own RSS growth is reported
  too (client_bytes_per_task).
- metg: spin(d) tasks, K per point (all submitted with one client.map, all gathered),
  durations 0.1 s down by sqrt(10) to 0.0001 s (or --durations, in the order given); the
  sweep ends after the first point below 0.5 efficiency and two more. K defaults to 100.
- dag (bench/run's DAG figure, beside the contract's subcommands): the tree reduction of
  1..N with dask.delayed: level 0 is delayed(add)(i, 0) for i in 1..N, each next level
  delayed(add)(a, b) over pairs of the level below (an odd one out carried up as it is),
  until one Delayed remains; N leaves make N + (N - 1) tasks (checked against the graph's
  own length; dask.delayed's optimisation only culls, it fuses nothing). The clock runs from
  the first delayed call to the root's value in this process: the graph is built, handed to
  the scheduler with client.compute (one submission), and the root's future awaited; the
  root must equal N(N+1)/2. A warm-up tree of min(N, 100) leaves runs first, not counted.
  Prints leaves, tasks, levels, graph_s (building the graph), submit_s (until compute
  returned), seconds, tasks_per_s, root, root_ok.
  --graph flat (the default) computes Delayed(root.key, dict(root.dask)): the same tasks in
  one low-level graph. --graph layers computes the root as dask.delayed leaves it, a
  HighLevelGraph with one layer per call, which client.compute packs and the scheduler
  unpacks layer by layer: measured here (2 cores, a build alongside) with 10,000 leaves,
  compute() took 13.2 s to return with layers and 0.5 s flat, and the whole tree ran at 667
  tasks/s with layers, 1,287 flat; with 1,000 leaves compute() took 0.19 s with layers. Flat
  is Dask's better way for a graph this size, so the figure uses it.
- throughput's `failed` counts erred tasks; on the limit it also counts the unfinished ones
  (`finished` says how many finished) and tasks_per_s is finished / seconds.

Bounds and clean-up
-------------------
--limit-s (default 120) bounds the whole invocation including cluster start: every wait
uses what is left of it; on the limit the run stops, cleans up and prints what it got with
"complete": false and a "note" (exit 0 if something was measured, 1 if not). A SIGALRM
backstop fires 10 s after the limit in case something blocks without a timeout. SIGTERM,
SIGINT and SIGHUP: cleanup, partial JSON, exit 143 / 130 / 129. Cleanup: client.close,
cluster.close (bounded), then every remaining descendant process of this one (psutil, by pid):
SIGTERM, 3 s grace, SIGKILL. The queued-memory scheduler runs in a session of its own and is
stopped first (SIGTERM by pid, SIGKILL to its group after 5 s; peer_common.stop_processes, and
peer_common.py holds the rest of what the three peers share); it gets PR_SET_PDEATHSIG
(SIGTERM) too, and
Dask's worker processes exit by themselves when this process dies (AsyncProcess watches its
parent). An orchestrator should allow --limit-s + 30 s before it kills this script.

Sizes tried and how long they took
----------------------------------
2 cores, with a C++ build and the other peers' test runs alongside (load average 6-9), so
the figures are slow and noisy. "wall" is the whole invocation (python start, cluster start
1.2-7.6 s, measurement, cleanup 0.1-1.8 s); the measured figure in brackets.

    throughput --tasks 2000 --workers 1          11.2 s  (7.06 s, 283 tasks/s)
    throughput --tasks 2000 --workers 2          10.0 s  (5.33 s, 375 tasks/s)
    throughput --tasks 2000 --workers 4          14.9 s  (4.12 s, 486 tasks/s)
    latency --round-trips 300                     9.2 s  (p50 13.9 ms, p99 45.3 ms)
    cpu --tasks 10                               13.8 s  (5.81 s sequential, 3.95 s parallel)
    c10k --tasks 1000 --sleep 1.0                 8.0 s  (wall_s 1.88)
    c10k --tasks 10000 --sleep 1.0               14.3 s  (wall_s 7.68, 5000 slots per worker)
    c10k --tasks 10000 --threads-per-worker 1     9.8 s  (probe 8 tasks 4.03 s, projected 5033 s)
    queued-memory --tasks 10000                   4.6 s  (5148 bytes per task)
    queued-memory --tasks 100000                 20.4 s  (4298 bytes per task)
    metg --tasks-per-point 20                     6.0 s  (6 points, metg 5.7 ms)
    metg (K = 100)                               12.6 s  (6 points, metg 5.2 ms)
    dag --leaves 1000                             5.6 s  (2.05 s, 976 tasks/s; graph as layers)
    dag --leaves 10000 --graph layers            37.4 s  (34.0 s, 589 tasks/s; compute() 14.0 s)
    dag --leaves 50000                           88.8 s  (83.6 s, 1,196 tasks/s; compute() 3.2 s)

The quick set (the lines above except c10k --tasks 10000, queued-memory --tasks 100000 and
metg with K = 100; one after the other) took 88 s, and 98 s a second time, under that load,
not the 40 s hoped for: the three throughput runs alone took 36 s, three cluster starts
included, and cpu's 10 x count(n) takes ~10 s of CPU whatever the peer. A quick run that
must fit 40 s should pass --tasks 500 to throughput, and skip the probe-only c10k.
"""

import gc
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time

import peer_common
from peer_common import (LATENCY_WARMUPS, PEERS_DIR, STOP_GRACE_S, SUBCOMMANDS, Deadline,
                         Interrupted, LimitReached, begin_cleanup, build_parser, child_pythonpath,
                         emit, finish_output, install_signal_handlers, interrupt, log,
                         metg_durations, metg_of, metg_sweep_done, new_output, percentile,
                         set_log_name, stop_processes)
from peer_common import parse_args as parse_args_common

PEER = "dask"
# Beside the contract's subcommands (peer_common.SUBCOMMANDS): bench/run's DAG figure.
EXTRA_SUBCOMMANDS = ("dag",)
HARD_LIMIT_GRACE_S = 10.0
CLOSE_TIMEOUT_S = 10
REAP_GRACE_S = 3.0


def _on_alarm(signum, _frame):
    # The backstop: --limit-s + HARD_LIMIT_GRACE_S, in case something blocks without a timeout.
    interrupt(signum, f"hard limit (--limit-s + {HARD_LIMIT_GRACE_S:g} s) reached", exit_code=1)


class Run:
    """One invocation: its deadline, its output, the processes it started."""

    def __init__(self, args):
        self.args = args
        self.deadline = Deadline(args.limit_s)
        self.out = new_output(PEER, complete=False)
        self.notes = []
        self.measured = False
        self.client = None
        self.cluster = None
        self.scheduler_proc = None
        self.tmpdir = None

    def left(self):
        """Seconds left before --limit-s; raises LimitReached when none."""
        return self.deadline.left()

    def note(self, text):
        self.notes.append(text)

    # --- the cluster -------------------------------------------------------------------

    def start_cluster(self, workers, threads_per_worker=1):
        from distributed import Client, LocalCluster

        run = self

        class Cluster(LocalCluster):
            async def _start(self):
                # Known to the cleanup from the start on: SIGTERM or the limit may arrive
                # while the constructor still blocks in here.
                run.cluster = self
                return await super()._start()

        t = time.monotonic()
        self.cluster = Cluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # see the docstring
            silence_logs=logging.WARNING,
        )
        self.client = Client(self.cluster, timeout=max(1.0, min(30.0, self.left())))
        if workers:
            self.client.wait_for_workers(workers, timeout=self.left())
        self.out["config"]["cluster_start_s"] = round(time.monotonic() - t, 3)
        log(f"cluster up: {workers} workers x {threads_per_worker} threads "
            f"in {time.monotonic() - t:.2f} s")

    def warm_up(self):
        """One noop() done on every worker before any clock starts."""
        import dask_tasks

        addrs = list(self.client.scheduler_info()["workers"])
        fs = [self.client.submit(dask_tasks.noop, pure=False, workers=[a],
                                 allow_other_workers=False)
              for a in addrs]
        if not wait_all(fs, self):
            raise LimitReached(f"--limit-s {self.args.limit_s:g} reached during the warm-up")
        bad = [f for f in fs if f.status != "finished"]
        if bad:
            raise RuntimeError(f"warm-up task failed: {bad[0].exception()!r}")
        del fs

    def cleanup(self):
        begin_cleanup()
        signal.setitimer(signal.ITIMER_REAL, 0)
        t = time.monotonic()
        if self.client is not None:
            try:
                self.client.close(timeout=CLOSE_TIMEOUT_S)
            except BaseException as e:  # noqa: BLE001 - cleanup must go on
                log(f"client.close: {e!r}")
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=CLOSE_TIMEOUT_S)
            except BaseException as e:  # noqa: BLE001
                log(f"cluster.close: {e!r}")
        log(f"client and cluster closed in {time.monotonic() - t:.2f} s")
        if self.scheduler_proc is not None:
            stop_processes([self.scheduler_proc], STOP_GRACE_S)
        reap_descendants()
        if self.tmpdir is not None:
            import shutil
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def reap_descendants():
    """Stop every process this one started that is still alive (by pid)."""
    import psutil

    try:
        kids = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    if not kids:
        return
    # multiprocessing's resource tracker ignores SIGTERM and SIGINT by design and exits by
    # itself once this process and the workers, which hold its pipe, are gone.
    kids = [p for p in kids if not _is_resource_tracker(p)]
    if not kids:
        return
    for p in kids:
        try:
            log(f"stopping leftover pid {p.pid} ({' '.join(p.cmdline()[:4])})")
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(kids, timeout=REAP_GRACE_S)
    for p in alive:
        try:
            log(f"pid {p.pid} ignored SIGTERM: SIGKILL")
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=REAP_GRACE_S)


def _is_resource_tracker(p):
    try:
        return "multiprocessing.resource_tracker" in " ".join(p.cmdline())
    except Exception:  # noqa: BLE001 - gone already
        return True


def wait_all(fs, run):
    """distributed.wait bounded by --limit-s. True if every future is done (finished,
    erred or cancelled), False on the limit."""
    from distributed import wait

    try:
        left = run.left()
    except LimitReached:
        return False
    try:
        wait(fs, timeout=left)
        return True
    except TimeoutError:
        return False


def gather_finished(client, fs):
    """Fetch the results of the finished futures into this process; returns them in order."""
    done = [f for f in fs if f.status == "finished"]
    return client.gather(done, errors="skip") if done else []


def r6(x):
    return None if x is None else round(x, 6)


# --- subcommands ---------------------------------------------------------------------------

def cmd_throughput(run):
    import dask_tasks

    a = run.args
    n, w = a.tasks, a.workers
    run.out.update({"tasks": n, "workers": w, "seconds": None, "tasks_per_s": None, "failed": None})
    run.start_cluster(w)
    run.warm_up()
    client = run.client
    t0 = time.perf_counter()
    fs = client.map(dask_tasks.noop, range(n), pure=False)
    t_submitted = time.perf_counter()
    all_done = wait_all(fs, run)
    t_waited = time.perf_counter()
    results = gather_finished(client, fs)
    t1 = time.perf_counter()
    finished = len(results)
    erred = sum(1 for f in fs if f.status == "error")
    seconds = t1 - t0
    run.out.update({
        "seconds": r6(seconds),
        "tasks_per_s": round(finished / seconds, 1) if seconds > 0 else None,
        "failed": erred + (n - finished - erred if not all_done else 0),
        "submit_s": r6(t_submitted - t0),
        "wait_s": r6(t_waited - t0),
        "finished": finished,
    })
    run.measured = True
    if not all_done:
        run.note(f"limit reached: {finished} of {n} finished; tasks_per_s counts finished ones, "
                 f"failed counts the unfinished too")
        return False
    if erred:
        run.note(f"{erred} tasks erred: {next(f for f in fs if f.status == 'error').exception()!r}")
    return True


def cmd_latency(run):
    import dask_tasks

    a = run.args
    n = a.round_trips
    run.out.update({"round_trips": n, "p50_us": None, "p99_us": None, "p999_us": None,
                    "samples_us": []})
    run.start_cluster(a.workers)
    run.warm_up()
    client = run.client
    samples = run.out["samples_us"]
    wrong = 0
    for i in range(LATENCY_WARMUPS + n):
        t = time.perf_counter_ns()
        f = client.submit(dask_tasks.add, 1, 2, pure=False)
        try:
            r = f.result(timeout=run.left())
        except (TimeoutError, LimitReached):
            run.note(f"limit reached after {len(samples)} of {n} round trips")
            break
        dt = time.perf_counter_ns() - t
        del f
        if r != 3:
            wrong += 1
        if i >= LATENCY_WARMUPS:
            samples.append(round(dt / 1000.0, 1))
    s = sorted(samples)
    run.out.update({"p50_us": percentile(s, 0.50), "p99_us": percentile(s, 0.99),
                    "p999_us": percentile(s, 0.999),
                    "mean_us": round(sum(s) / len(s), 1) if s else None,
                    "wrong_results": wrong})
    run.measured = bool(samples)
    if wrong:
        run.note(f"{wrong} round trips did not return 3")
    return len(samples) == n and not wrong


def cmd_cpu(run):
    import dask_tasks

    a = run.args
    k = a.tasks
    ns = list(range(1, k + 1))
    run.out.update({"tasks": k, "sequential_s": None, "parallel_s": None, "speedup": None,
                    "results_ok": None})
    run.start_cluster(a.workers)
    run.warm_up()
    client = run.client
    ok = True
    phase, done = "sequential", 0
    try:
        t0 = time.perf_counter()
        for n in ns:
            r = client.submit(dask_tasks.count, n, pure=False).result(timeout=run.left())
            ok = ok and r == dask_tasks.COUNT_LOOP * n
            done += 1
        seq = time.perf_counter() - t0
        run.out["sequential_s"] = r6(seq)
        run.measured = True
        phase, done = "parallel", 0
        t0 = time.perf_counter()
        fs = [client.submit(dask_tasks.count, n, pure=False) for n in ns]
        if not wait_all(fs, run):
            done = sum(1 for f in fs if f.status == "finished")
            raise LimitReached()
        rs = client.gather(fs)
        par = time.perf_counter() - t0
        ok = ok and rs == [dask_tasks.COUNT_LOOP * n for n in ns]
    except (TimeoutError, LimitReached):
        run.out["results_ok"] = False
        run.note(f"--limit-s {a.limit_s:g} reached in the {phase} run, {done} of {k} count(n) done")
        return False
    run.out.update({"parallel_s": r6(par), "speedup": round(seq / par, 3), "results_ok": ok})
    if not ok:
        run.note(f"a count(n) result was not {dask_tasks.COUNT_LOOP} * n")
    return ok


def cmd_c10k(run):
    import dask_tasks

    a = run.args
    n, w, s = a.tasks, a.workers, a.sleep
    tpw = a.threads_per_worker or max(1, math.ceil(n / w))
    run.out["config"]["threads_per_worker"] = tpw
    run.out.update({"tasks": n, "wall_s": None, "projected_s": None, "how": None})
    run.start_cluster(w, threads_per_worker=tpw)
    run.warm_up()
    client = run.client

    def batch(count):
        t0 = time.perf_counter()
        fs = client.map(dask_tasks.async_sleep, [s] * count, pure=False)
        done = wait_all(fs, run)
        t_wait = time.perf_counter()
        rs = gather_finished(client, fs)
        t1 = time.perf_counter()
        return done, len(rs), sum(1 for f in fs if f.status == "error"), t1 - t0, t_wait - t0

    probe = min(n, 4 * w)
    done, got, erred, wall, _ = batch(probe)
    overlap = probe * s / wall if wall > 0 else 0.0
    run.out.update({"probe_tasks": probe, "probe_wall_s": r6(wall),
                    "probe_overlap": round(overlap, 2)})
    if not done or got != probe:
        run.note(f"the probe did not finish: {got} of {probe} results, {erred} erred")
        run.measured = got > 0
        return False
    run.measured = True
    slots = (f"async def tasks awaited on the worker event loop, {w} workers x {tpw} task "
             f"slots (threads_per_worker)")
    if overlap <= 1.5 * w:
        run.out.update({
            "projected_s": round(n * wall / probe, 1),
            "how": f"probe only: {probe} tasks, {slots}; they ran at most {tpw} per worker",
        })
        run.note(
            f"no overlap: the probe of {probe} async sleeps of {s:g} s took {wall:.2f} s "
            f"({overlap:.2f} at once). Dask 2022.12 awaits async def tasks on the worker's event "
            f"loop, but its worker state machine executes at most nthreads tasks at once, async "
            f"or not (WorkerState._ensure_computing), so with threads_per_worker={tpw} only "
            f"{w * tpw} sleeps overlap; projected_s = tasks * probe_wall_s / probe_tasks. "
            f"Without --threads-per-worker, c10k uses ceil(tasks/workers) slots and overlaps.")
        return True
    if probe == n:
        done, got, erred, wall, wait_s = True, probe, 0, wall, None
    else:
        done, got, erred, wall, wait_s = batch(n)
    run.out.update({
        "wall_s": r6(wall) if done and got == n else None,
        "wait_s": r6(wait_s),
        "finished": got,
        "how": f"{slots}: Dask executes at most nthreads tasks per worker at once, async or "
               f"not, and makes threads only for sync tasks, so ceil(tasks/workers) slots let "
               f"every sleep overlap (the probe of {probe} overlapped {overlap:.1f} at once)",
    })
    if not done or got != n:
        run.note(f"limit reached or failures: {got} of {n} results in {wall:.2f} s, {erred} erred")
        return False
    return True


def _set_pdeathsig():
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


def _scheduler_task_states(dask_scheduler=None):
    import collections
    import gc as _gc
    _gc.collect()
    return dict(collections.Counter(ts.state for ts in dask_scheduler.tasks.values()))


def cmd_queued_memory(run):
    import psutil
    from distributed import Client

    import dask_tasks

    a = run.args
    n = a.tasks
    run.out.update({"tasks": n, "bytes_before": None, "bytes_after": None,
                    "bytes_per_task": None, "where": None})
    run.tmpdir = tempfile.mkdtemp(prefix="dask_peer_")
    sfile = os.path.join(run.tmpdir, "scheduler.json")
    env = dict(os.environ, PYTHONPATH=child_pythonpath(), DASK_LOGGING__DISTRIBUTED="warning")
    t = time.monotonic()
    run.scheduler_proc = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--dashboard-address", "127.0.0.1:0", "--no-dashboard", "--no-jupyter",
         "--scheduler-file", sfile],
        stdin=subprocess.DEVNULL, stdout=2, stderr=2, cwd=run.tmpdir, env=env,
        start_new_session=True, preexec_fn=_set_pdeathsig)
    while not os.path.exists(sfile):
        if run.scheduler_proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {run.scheduler_proc.returncode}")
        run.left()
        time.sleep(0.05)
    time.sleep(0.1)  # the file is written in one go, but let it be complete
    run.client = Client(scheduler_file=sfile, timeout=max(1.0, min(30.0, run.left())))
    run.out["config"]["cluster_start_s"] = round(time.monotonic() - t, 3)
    sched = psutil.Process(run.scheduler_proc.pid)
    me = psutil.Process()
    client = run.client

    log("scheduler up, client connected")

    def poll_tasks(pred):
        while True:
            states = client.run_on_scheduler(_scheduler_task_states)
            if pred(sum(states.values())):
                return states
            run.left()
            time.sleep(0.05)

    warm = client.map(dask_tasks.noop, range(100), pure=False)
    poll_tasks(lambda c: c >= 100)
    client.cancel(warm)
    del warm
    poll_tasks(lambda c: c == 0)
    gc.collect()
    before = sched.memory_info().rss
    me_before = me.memory_info().rss
    log(f"RSS before: {before} bytes; submitting {n} tasks")
    t0 = time.perf_counter()
    fs = client.map(dask_tasks.noop, range(n), pure=False)
    t_sub = time.perf_counter() - t0
    log(f"submitted in {t_sub:.2f} s; waiting until the scheduler holds them all")
    try:
        states = poll_tasks(lambda c: c >= n)
    except LimitReached:
        states = client.run_on_scheduler(_scheduler_task_states)
        run.note(f"limit reached: the scheduler held {sum(states.values())} of {n} tasks")
    t_held = time.perf_counter() - t0
    after = sched.memory_info().rss
    me_after = me.memory_info().rss
    held = sum(states.values())
    run.out.update({
        "bytes_before": before,
        "bytes_after": after,
        "bytes_per_task": round((after - before) / n, 1),
        "where": (f"RSS (psutil) of a Dask scheduler alone in its own process "
                  f"(python3 -m distributed.cli.dask_scheduler, pid {sched.pid}, no worker "
                  f"ever connected), after gc.collect there; the tasks wait in state "
                  f"{'/'.join(sorted(states))}"),
        "scheduler_tasks": held,
        "task_states": states,
        "submit_s": r6(t_sub),
        "held_s": r6(t_held),
        "client_bytes_per_task": round((me_after - me_before) / n, 1),
    })
    run.measured = True
    del fs
    return held >= n


def cmd_metg(run):
    import dask_tasks

    a = run.args
    w, k = a.workers, a.tasks_per_point
    durations = metg_durations(a.durations)
    points = []
    run.out.update({"points": points, "metg_s": None, "workers": w, "tasks_per_point": k})
    run.start_cluster(w)
    run.warm_up()
    client = run.client
    complete = True
    for d in durations:
        t0 = time.perf_counter()
        fs = client.map(dask_tasks.spin, [d] * k, pure=False)
        done = wait_all(fs, run)
        rs = gather_finished(client, fs)
        wall = time.perf_counter() - t0
        if not done or len(rs) != k:
            run.note(f"limit reached or failures at task_s={d:g}: {len(rs)} of {k}; sweep stopped")
            complete = False
            break
        eff = k * d / (w * wall)
        points.append({"task_s": d, "tasks": k, "wall_s": r6(wall), "efficiency": round(eff, 4)})
        run.measured = True
        log(f"metg point d={d:g}: wall {wall:.4f} s, efficiency {eff:.3f}")
        if metg_sweep_done(points):
            break
    m = metg_of(points)
    run.out["metg_s"] = r6(m)
    if points and m is not None and all(p["efficiency"] >= 0.5 for p in points):
        run.note("efficiency never fell below 0.5: metg_s is the smallest duration tried")
    return complete


def tree_reduction(leaves):
    """The DAG figure's tree: the pairwise sums of 1..leaves as dask.delayed calls of add.
    Returns the root Delayed, the number of tasks and of levels above the leaves."""
    from dask import delayed

    import dask_tasks

    add = delayed(dask_tasks.add, pure=False)
    level = [add(i, 0) for i in range(1, leaves + 1)]
    tasks, levels = leaves, 0
    while len(level) > 1:
        pairs = [add(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
        tasks += len(pairs)
        levels += 1
        level = pairs + level[len(pairs) * 2:]
    return level[0], tasks, levels


def cmd_dag(run):
    from dask.delayed import Delayed

    a = run.args
    n = a.leaves
    expected = n * (n + 1) // 2
    run.out.update({"leaves": n, "tasks": None, "levels": None, "seconds": None,
                    "tasks_per_s": None, "root": None, "expected": expected, "root_ok": None})
    run.out["config"]["how"] = (f"dask.delayed tree of add(a, b) ({a.graph} graph), one "
                                f"client.compute of the root, its future's result")
    run.out["config"]["graph"] = a.graph
    run.start_cluster(a.workers)
    run.warm_up()
    client = run.client
    warm = min(n, 100)
    root, _, _ = tree_reduction(warm)
    if client.compute(root).result(timeout=run.left()) != warm * (warm + 1) // 2:
        raise RuntimeError("the warm-up tree's root is wrong")
    del root
    t0 = time.perf_counter()
    root, tasks, levels = tree_reduction(n)
    if a.graph == "flat":
        root = Delayed(root.key, dict(root.__dask_graph__()))
    t_graph = time.perf_counter()
    future = client.compute(root)
    t_submitted = time.perf_counter()
    try:
        value = future.result(timeout=run.left())
    except (TimeoutError, LimitReached):
        run.note(f"limit reached: no root after {time.perf_counter() - t0:.1f} s")
        return False
    seconds = time.perf_counter() - t0
    graph_tasks = len(root.__dask_graph__())
    run.out.update({
        "tasks": tasks, "levels": levels, "graph_tasks": graph_tasks,
        "graph_s": r6(t_graph - t0), "submit_s": r6(t_submitted - t0), "seconds": r6(seconds),
        "tasks_per_s": round(tasks / seconds, 1), "root": value, "root_ok": value == expected,
    })
    run.measured = True
    if graph_tasks != tasks:
        run.note(f"the graph holds {graph_tasks} tasks, {tasks} counted")
    if value != expected:
        run.note(f"the root is {value}, not {expected}")
    return value == expected and graph_tasks == tasks


COMMANDS = {
    "throughput": cmd_throughput,
    "latency": cmd_latency,
    "cpu": cmd_cpu,
    "c10k": cmd_c10k,
    "queued-memory": cmd_queued_memory,
    "metg": cmd_metg,
    "dag": cmd_dag,
}


def parse_args(argv):
    # build_parser makes one subparser per name in peer_common.SUBCOMMANDS.
    peer_common.SUBCOMMANDS = tuple(dict.fromkeys(SUBCOMMANDS + EXTRA_SUBCOMMANDS))
    ignored = {"default": None, "help": "accepted and ignored: Dask has no pool option"}
    p, subs = build_parser(PEER, __doc__.split("\n")[0],
                           pools={name: ignored for name in SUBCOMMANDS + EXTRA_SUBCOMMANDS},
                           tasks_per_point=100, redis_required=False,
                           redis_help="accepted and ignored: Dask needs no broker")
    subs["c10k"].add_argument("--threads-per-worker", type=int, default=None,
                              help="task slots per worker (default ceil(tasks/workers))")
    subs["dag"].add_argument("--leaves", type=int, default=50000,
                             help="the tree reduction's leaves (2 x leaves - 1 tasks)")
    subs["dag"].add_argument("--graph", choices=["flat", "layers"], default="flat",
                             help="computed as one low-level graph (flat) or as dask.delayed "
                                  "leaves it, one HighLevelGraph layer per call (layers)")
    args = parse_args_common(p, argv, check_redis=False)
    if getattr(args, "leaves", 1) < 1:
        p.error("--leaves must be >= 1")
    return args


def main(argv):
    # Everything written to fd 1 (by this process or a spawned worker) goes to stderr; the
    # JSON goes to a duplicate of the original stdout.
    json_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    set_log_name("dask_peer")
    a = parse_args(argv)

    if PEERS_DIR not in sys.path:
        sys.path.insert(0, PEERS_DIR)
    os.environ["PYTHONPATH"] = child_pythonpath()
    install_signal_handlers()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, a.limit_s + HARD_LIMIT_GRACE_S)

    run = Run(a)
    exit_code = 0
    complete = False
    try:
        import dask
        import distributed

        run.out["config"].update({
            "subcommand": a.command,
            "distributed": distributed.__version__,
            "dask": dask.__version__,
            "python": sys.version.split()[0],
            "workers": 0 if a.command == "queued-memory" else a.workers,
            "threads_per_worker": None if a.command == "queued-memory" else 1,
            "processes": True,
            "host": "127.0.0.1",
            "limit_s": a.limit_s,
        })
        if a.pool:
            run.out["config"]["pool_ignored"] = a.pool
        complete = bool(COMMANDS[a.command](run))
    except LimitReached as e:
        run.note(str(e))
    except Interrupted as e:
        run.note(e.why)
        exit_code = e.exit_code
        log(e.why)
    except Exception as e:  # noqa: BLE001 - reported, then exit 1
        import traceback
        traceback.print_exc()
        run.note(f"error: {e!r}")
        exit_code = 1
    finally:
        t = time.monotonic()
        run.cleanup()
        log(f"cleanup took {time.monotonic() - t:.2f} s")
    finish_output(run.out, complete and exit_code == 0, run.notes)
    run.out["config"]["elapsed_s"] = round(time.monotonic() - run.deadline.start, 3)
    if exit_code == 0 and not run.measured:
        exit_code = 1
        log("nothing measured")
    with os.fdopen(json_fd, "w") as f:
        emit(run.out, f)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
