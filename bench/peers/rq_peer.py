#!/usr/bin/python3
"""The RQ peer of bench/run: times RQ the way the orchestrator times Shoal.

Keeps the contract of bench/peers/README.md:

    /usr/bin/python3 bench/peers/rq_peer.py SUBCOMMAND --redis redis://127.0.0.1:PORT/DB \
        [--workers W] [--pool fork|simple] [--limit-s S] [subcommand options]

    throughput     --tasks N          N noop(): Queue.enqueue_many (one pipelined MULTI/EXEC per
                                      1000 jobs, each job its own job), then every job finished
    latency        --round-trips N    N sequential add(1, 2), 50 warm-ups first
    cpu            --tasks 10         seed 002's count(1..10): one at a time, then all at once
    c10k           --tasks N --sleep S  RQ cannot overlap sleeps beyond W workers: a bounded
                                      probe of 4 x W sleep(S) jobs, wall_s null, projected_s
    queued-memory  --tasks N          N noop() with no worker; Redis used_memory before/after
    metg           [--durations ...] [--tasks-per-point K]   spin(d) batches, efficiency per d

One JSON object on stdout, logs on stderr. The workers are W processes of
`/usr/bin/python3 -m rq.cli worker` (normal mode, not burst; `--pool fork` = RQ's standard
forking `Worker`, one work horse forked per job; `--pool simple` = `rq.SimpleWorker`, no fork),
each in a session of its own (start_new_session), on a queue of this run's own, with
bench/peers on their PYTHONPATH so that they import rq_tasks. They are up and warmed (all W
registered, then 2 x W noop jobs finished) before any clock starts. They are stopped by pid,
SIGTERM, then SIGKILL to the worker's process group after a grace, and the fork worker's work
horses (which setsid() into sessions of their own) are tracked with psutil and stopped by pid
too; this also runs on an exception and on SIGTERM/SIGINT/SIGHUP to this script. What the three
peers share (signals, the limit, percentiles, METG, options, the JSON skeleton, stopping
processes) is in peer_common.py.

How results are awaited (RQ has no blocking result wait):
  - latency and cpu's sequential part: job.get_status() (one HGET) in a loop with a 0.5 ms
    sleep, then job.return_value() once it is finished;
  - throughput, cpu's parallel part, c10k and metg: ZCARD of the queue's FinishedJobRegistry
    and FailedJobRegistry (one pipelined round trip), every 5 ms (throughput) or 1 ms (the
    others); throughput checks every job's status after its clock, cpu compares every result
    (inside its clock), c10k and metg count failures from the FailedJobRegistry.

Sizes tried on the development box (2 cores shared with a C++ build; Redis 7.0.15, RQ 1.13.0,
redis-py 4.3.4, Python 3.11), wall time of the whole command including worker start and stop:
    (measured with a load average of 8.5 to 10 on the 2 cores, so RQ got a fraction of them;
    no quiet box was available, so read these as upper bounds; both pools at 2 workers)
      throughput --tasks 1000      fork 20.6 s (53 tasks/s)     simple 8.1 s (148 tasks/s)
      latency --round-trips 200    fork 11.9 s (p50 30 ms)      simple 2.6 s (p50 5.2 ms)
      cpu --tasks 10               fork 14.2 s (speedup 1.25)   simple 16.9 s (speedup 1.34)
      c10k --tasks 10000           5.6 s (probe of 8 sleep(1) jobs, 4.3 s)
      queued-memory --tasks 10000  3.5 s (532 bytes per queued job)
      metg --tasks-per-point 20    fork 4.4 s (3 points)        simple 4.0 s (4 points)
    One pool of each: about 60 s under that load; with both pools about 94 s. The fork pool's
    throughput is the slow part (a fork per job): about 300 tasks keep it to a few seconds.
"""

import os
import platform
import secrets
import signal
import subprocess
import sys
import time

from peer_common import (LATENCY_WARMUPS, PEERS_DIR, PYTHON, STOP_GRACE_S, SUBCOMMANDS,
                         Deadline, Interrupted, LimitReached, begin_cleanup, build_parser,
                         child_pythonpath, deferred_signals, emit, finish_output,
                         install_signal_handlers, log, metg_durations, metg_of, metg_sweep_done,
                         new_output, percentile, set_log_name, stop_processes)
from peer_common import parse_args as parse_args_common

CHUNK = 1000                  # jobs per enqueue_many pipeline
LATENCY_POLL_S = 0.0005       # job.get_status() poll interval for latency / sequential cpu
THROUGHPUT_POLL_S = 0.005     # registry poll interval for throughput
BATCH_POLL_S = 0.001          # registry poll interval for cpu (parallel), c10k, metg
READY_LIMIT_S = 30.0          # workers registered and warmed


# --- imports that need the system Python's packages ----------------------------------------------

sys.path.insert(0, PEERS_DIR)
try:
    import psutil
    import redis
    import rq
    from rq import Queue, Worker
    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    import rq_tasks
except ImportError as e:  # pragma: no cover
    print(f"rq_peer: cannot import ({e}); run with /usr/bin/python3 (python3-rq, python3-redis, "
          "python3-psutil)", file=sys.stderr)
    sys.exit(2)


def as_text(v):
    return v.decode() if isinstance(v, bytes) else v


# --- the workers ---------------------------------------------------------------------------------


class Workers:
    """W `rq worker` processes, each its own session; stopped by group, horses by pid."""

    def __init__(self, url, queue_name, count, pool, tag):
        self.url, self.queue_name, self.count, self.pool, self.tag = url, queue_name, count, pool, tag
        self.procs = []
        self.tracked = {}  # pid -> psutil.Process: descendants (fork's work horses)

    def command(self, i):
        cmd = [PYTHON, "-m", "rq.cli", "worker", "--url", self.url, "--logging_level", "WARNING",
               "--name", f"shoal-bench-rq-{self.tag}-{i}"]
        if self.pool == "simple":
            cmd += ["--worker-class", "rq.SimpleWorker"]
        return cmd + [self.queue_name]

    def start(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = child_pythonpath()
        for i in range(self.count):
            with deferred_signals():
                self.procs.append(subprocess.Popen(
                    self.command(i), cwd=PEERS_DIR, env=env, start_new_session=True,
                    stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(), stderr=sys.stderr.fileno()))

    def alive(self):
        return [p for p in self.procs if p.poll() is None]

    def check_alive(self):
        dead = [p for p in self.procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{len(dead)} rq worker(s) exited (codes {[p.returncode for p in dead]})")

    def _track(self):
        for p in self.alive():
            try:
                for c in psutil.Process(p.pid).children(recursive=True):
                    self.tracked.setdefault(c.pid, c)
            except psutil.Error:
                pass

    def _signal_tracked(self, sig):
        for c in list(self.tracked.values()):
            try:
                if c.is_running():  # psutil checks the create time: no signal to a reused pid
                    c.send_signal(sig)
            except psutil.Error:
                pass

    def stop(self):
        if not self.procs:
            return
        self._track()
        # Each worker: SIGTERM by pid, SIGKILL to its group after the grace. The work horses
        # (in sessions of their own) by pid too: a horse's SIGTERM is SIG_DFL, so it ends.
        stop_processes(self.procs, STOP_GRACE_S,
                       after_term=lambda: self._signal_tracked(signal.SIGTERM),
                       during_grace=self._track)
        self._signal_tracked(signal.SIGKILL)
        psutil.wait_procs(list(self.tracked.values()), timeout=2)
        self.procs = []

    def wait_ready(self, conn, queue, deadline):
        """All W registered on the queue, then 2 x W noop jobs done (bounded)."""
        ready = deadline.capped(READY_LIMIT_S)
        while Worker.count(connection=conn, queue=queue) < self.count:
            self.check_alive()
            if ready.expired():
                raise LimitReached("workers did not register in time")
            time.sleep(0.02)
        jobs = [queue.enqueue(rq_tasks.noop, result_ttl=3600) for _ in range(2 * self.count)]
        while True:
            st = job_statuses(conn, jobs)
            if all(s == JobStatus.FINISHED for s in st):
                return
            if any(s == JobStatus.FAILED for s in st):
                raise RuntimeError("a warm-up job failed (is rq_tasks importable by the workers?)")
            self.check_alive()
            if ready.expired():
                raise LimitReached("warm-up jobs did not finish in time")
            time.sleep(0.005)


# --- Redis helpers -------------------------------------------------------------------------------


def job_statuses(conn, jobs):
    pipe = conn.pipeline(transaction=False)
    for j in jobs:
        pipe.hget(j.key, "status")
    return [as_text(s) for s in pipe.execute()]


class Counts:
    """Finished / failed counts of one queue, relative to a baseline (one round trip each)."""

    def __init__(self, conn, queue):
        self.conn = conn
        self.keys = (FinishedJobRegistry(queue=queue).key, FailedJobRegistry(queue=queue).key)
        self.base = (0, 0)
        self.base = self.get()

    def get(self):
        pipe = self.conn.pipeline(transaction=False)
        for k in self.keys:
            pipe.zcard(k)
        fin, fail = pipe.execute()
        return fin - self.base[0], fail - self.base[1]


def wait_counts(counts, n, deadline, poll_s, workers):
    """Polls until n jobs are finished or failed; returns (finished, failed, complete)."""
    polls = 0
    while True:
        fin, fail = counts.get()
        if fin + fail >= n:
            return fin, fail, True
        if deadline.expired():
            return fin, fail, False
        polls += 1
        if polls % 200 == 0:
            workers.check_alive()
        time.sleep(poll_s)


def wait_one(job, deadline, poll_s=LATENCY_POLL_S):
    """Polls job.get_status(); returns the job's return value (raises if it failed)."""
    while True:
        st = job.get_status()
        if st == JobStatus.FINISHED:
            return job.return_value(refresh=True)
        if st == JobStatus.FAILED:
            raise RuntimeError(f"job {job.id} failed: {job.exc_info}")
        if deadline.expired():
            raise LimitReached(f"job {job.id} not finished")
        time.sleep(poll_s)


def enqueue_chunked(queue, func, args_list, ttl, deadline=None):
    """Queue.enqueue_many in pipelines of CHUNK jobs; stops early past the deadline."""
    jobs = []
    for start in range(0, len(args_list), CHUNK):
        datas = [Queue.prepare_data(func, args=a, result_ttl=ttl, failure_ttl=ttl)
                 for a in args_list[start:start + CHUNK]]
        jobs += queue.enqueue_many(datas)
        if deadline is not None and deadline.expired():
            break
    return jobs


# --- the run: redis, queue, workers, config ------------------------------------------------------


class Run:
    def __init__(self, args):
        self.args = args
        self.deadline = Deadline(args.limit_s)
        self.tag = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.conn = redis.Redis.from_url(args.redis)
        self.conn.ping()
        self.queue = Queue(f"shoal-bench-rq-{self.tag}", connection=self.conn)
        self.ttl = int(args.limit_s) + 600
        self.workers = None

    def start_workers(self, count=None, pool=None):
        self.workers = Workers(self.args.redis, self.queue.name, count or self.args.workers,
                               pool or self.args.pool, self.tag)
        t = time.perf_counter()
        self.workers.start()
        self.workers.wait_ready(self.conn, self.queue, self.deadline)
        log(f"{self.workers.count} {self.workers.pool} worker(s) up and warm in "
            f"{time.perf_counter() - t:.2f} s")
        return self.workers

    def stop(self):
        if self.workers is not None:
            self.workers.stop()

    def config(self, **extra):
        info = self.conn.info("server")
        cfg = {
            "subcommand": self.args.command,
            "workers": self.args.workers,
            "pool": self.args.pool,
            "worker_class": "rq.SimpleWorker" if self.args.pool == "simple" else "rq.Worker (fork per job)",
            "redis": self.args.redis,
            "queue": self.queue.name,
            "limit_s": self.args.limit_s,
            "rq": rq.__version__,
            "redis_py": redis.__version__,
            "redis_server": info.get("redis_version"),
            "python": platform.python_version(),
        }
        if self.args.command == "queued-memory":
            cfg.update(workers=0, pool=None, worker_class=None)
        cfg.update(extra)
        return cfg


def result(run, complete, note=None, **fields):
    return finish_output(new_output("rq", run.config(), **fields), complete, note)


# --- subcommands ---------------------------------------------------------------------------------


def cmd_throughput(run):
    a = run.args
    run.start_workers()
    counts = Counts(run.conn, run.queue)
    args_list = [()] * a.tasks
    t0 = time.perf_counter()
    jobs = enqueue_chunked(run.queue, rq_tasks.noop, args_list, run.ttl, run.deadline)
    t_enq = time.perf_counter() - t0
    fin, fail, complete = wait_counts(counts, len(jobs), run.deadline, THROUGHPUT_POLL_S, run.workers)
    seconds = time.perf_counter() - t0
    complete = complete and len(jobs) == a.tasks
    note = (f"enqueue_many in pipelines of {CHUNK} ({t_enq:.3f} s to submit all); completion polled "
            f"every {THROUGHPUT_POLL_S * 1e3:g} ms on the queue's Finished/FailedJobRegistry counts")
    if complete:
        st = job_statuses(run.conn, jobs)
        bad = sum(1 for s in st if s != JobStatus.FINISHED)
        if bad != fail:
            note += f"; after the clock {bad} job(s) were not 'finished' (registries said {fail} failed)"
            fail = max(fail, bad)
    else:
        note += f"; limit of {a.limit_s} s reached with {fin + fail} of {a.tasks} done ({len(jobs)} submitted)"
    done = fin + fail
    return result(run, complete, note, tasks=a.tasks, workers=a.workers, seconds=seconds,
                  tasks_per_s=(done / seconds if seconds > 0 else None), failed=fail,
                  submit_s=t_enq, done=done)


def cmd_latency(run):
    a = run.args
    run.start_workers()
    samples, complete, note = [], True, None
    try:
        for i in range(LATENCY_WARMUPS + a.round_trips):
            t0 = time.perf_counter_ns()
            job = run.queue.enqueue(rq_tasks.add, 1, 2, result_ttl=run.ttl)
            value = wait_one(job, run.deadline)
            t1 = time.perf_counter_ns()
            if value != 3:
                raise RuntimeError(f"add(1, 2) returned {value!r}")
            if i >= LATENCY_WARMUPS:
                samples.append((t1 - t0) / 1000.0)
    except LimitReached:
        complete = False
        note = f"limit of {a.limit_s} s reached after {len(samples)} of {a.round_trips} round trips"
    s = sorted(samples)
    poll = (f"Queue.enqueue then job.get_status() polled with a {LATENCY_POLL_S * 1e3:g} ms sleep, "
            f"job.return_value() once finished; {LATENCY_WARMUPS} warm-ups not counted")
    note = poll if note is None else f"{note}; {poll}"
    return result(run, complete, note, round_trips=len(samples), p50_us=percentile(s, 0.50),
                  p99_us=percentile(s, 0.99), p999_us=percentile(s, 0.999), samples_us=samples)


def cmd_cpu(run):
    a = run.args
    run.start_workers()
    numbers = list(range(1, a.tasks + 1))
    expected = [rq_tasks.COUNT_LOOP * n for n in numbers]
    seq_s = par_s = None
    ok = True
    complete, note = True, None
    try:
        t0 = time.perf_counter()
        seq = []
        for n in numbers:
            job = run.queue.enqueue(rq_tasks.count, n, result_ttl=run.ttl)
            seq.append(wait_one(job, run.deadline))
        seq_s = time.perf_counter() - t0
        ok = ok and seq == expected

        counts = Counts(run.conn, run.queue)
        t0 = time.perf_counter()
        jobs = run.queue.enqueue_many(
            [Queue.prepare_data(rq_tasks.count, args=(n,), result_ttl=run.ttl) for n in numbers])
        fin, fail, done = wait_counts(counts, len(jobs), run.deadline, BATCH_POLL_S, run.workers)
        if not done:
            raise LimitReached("parallel part")
        par = [j.return_value(refresh=True) for j in jobs]
        par_s = time.perf_counter() - t0
        ok = ok and fail == 0 and par == expected
    except LimitReached:
        complete, ok = False, False
        note = f"limit of {a.limit_s} s reached"
    poll = (f"sequential: job.get_status() polled every {LATENCY_POLL_S * 1e3:g} ms; parallel: "
            f"enqueue_many, registry counts polled every {BATCH_POLL_S * 1e3:g} ms, then every return_value()")
    note = poll if note is None else f"{note}; {poll}"
    return result(run, complete, note, tasks=a.tasks, sequential_s=seq_s, parallel_s=par_s,
                  speedup=(seq_s / par_s if seq_s and par_s else None), results_ok=ok)


def cmd_c10k(run):
    a = run.args
    run.start_workers()
    probe = min(a.tasks, 4 * a.workers)
    counts = Counts(run.conn, run.queue)
    t0 = time.perf_counter()
    jobs = enqueue_chunked(run.queue, rq_tasks.sleep, [(a.sleep,)] * probe, run.ttl)
    fin, fail, complete = wait_counts(counts, len(jobs), run.deadline, BATCH_POLL_S, run.workers)
    probe_wall = time.perf_counter() - t0
    projected = probe_wall * a.tasks / probe if complete else None
    how = (f"probe: RQ runs one job at a time per worker process and has no way to overlap sleeps "
           f"(no async or greenlet worker), so {a.tasks} x sleep({a.sleep:g}) on {a.workers} "
           f"{a.pool} workers was not run; {probe} jobs were, and projected_s = probe wall x "
           f"{a.tasks} / {probe} (ideal: {a.tasks} x {a.sleep:g} / {a.workers} = "
           f"{a.tasks * a.sleep / a.workers:g} s)")
    note = (f"wall_s is null on purpose: RQ cannot overlap sleeps beyond its {a.workers} worker "
            f"processes, so only a bounded probe of {probe} jobs ran (see how)")
    if not complete:
        note += f"; limit of {a.limit_s} s reached during the probe ({fin + fail} of {probe} done)"
    return result(run, complete, note, tasks=a.tasks, wall_s=None, projected_s=projected, how=how,
                  probe_tasks=probe, probe_wall_s=probe_wall, probe_failed=fail, workers=a.workers)


def cmd_queued_memory(run):
    a = run.args
    run.conn.flushdb()
    time.sleep(0.1)
    before_info = run.conn.info("memory")
    jobs = enqueue_chunked(run.queue, rq_tasks.noop, [()] * a.tasks, run.ttl, run.deadline)
    time.sleep(0.1)
    after_info = run.conn.info("memory")
    queued = run.queue.count
    before, after = before_info["used_memory"], after_info["used_memory"]
    n = len(jobs)
    complete = n == a.tasks and queued == n
    note = (f"no worker running; {n} noop jobs via enqueue_many ({CHUNK} per pipeline), "
            f"{queued} in the queue list; each job is a hash rq:job:<id> plus its id in the list "
            f"rq:queue:<name>; db flushed before (and after)")
    if not complete:
        note += f"; only {n} of {a.tasks} submitted within the limit of {a.limit_s} s"
    out = result(run, complete, note, tasks=n, bytes_before=before, bytes_after=after,
                 bytes_per_task=((after - before) / n if n else None),
                 where="Redis INFO memory used_memory (the RQ broker and result store)",
                 dataset_bytes_per_task=(
                     (after_info["used_memory_dataset"] - before_info["used_memory_dataset"]) / n
                     if n else None),
                 queued=queued)
    run.conn.flushdb()
    return out


def cmd_metg(run):
    a = run.args
    durations = metg_durations(a.durations)
    run.start_workers()
    points, complete, failed = [], True, 0
    for d in durations:
        if metg_sweep_done(points):
            break
        counts = Counts(run.conn, run.queue)
        t0 = time.perf_counter()
        jobs = run.queue.enqueue_many(
            [Queue.prepare_data(rq_tasks.spin, args=(d,), result_ttl=run.ttl)
             for _ in range(a.tasks_per_point)])
        fin, fail, done = wait_counts(counts, len(jobs), run.deadline, BATCH_POLL_S, run.workers)
        wall = time.perf_counter() - t0
        if not done:
            complete = False
            break
        failed += fail
        eff = len(jobs) * d / (a.workers * wall)
        points.append({"task_s": d, "tasks": len(jobs), "wall_s": wall, "efficiency": eff})
        log(f"metg d={d:g} s: wall {wall:.3f} s, efficiency {eff:.3f}")
    note = (f"{a.tasks_per_point} spin(d) per point via enqueue_many, completion polled every "
            f"{BATCH_POLL_S * 1e3:g} ms on registry counts; stops two points after the first below 0.5")
    if failed:
        note += f"; {failed} job(s) failed"
    if not complete:
        note += f"; limit of {a.limit_s} s reached at d = {d:g} s"
    if points and all(p["efficiency"] >= 0.5 for p in points):
        note += "; efficiency never fell below 0.5: metg_s is the smallest d tried (an upper bound)"
    return result(run, complete, note, workers=a.workers, points=points, metg_s=metg_of(points),
                  failed=failed)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv):
    pool = {"choices": ["fork", "simple"], "default": "fork",
            "help": "fork: rq.Worker (a work horse per job); simple: rq.SimpleWorker"}
    p, _ = build_parser("rq", "RQ peer of bench/run (see bench/peers/README.md)",
                        pools={name: pool for name in SUBCOMMANDS}, tasks_per_point=40)
    return parse_args_common(p, argv)


COMMANDS = {"throughput": cmd_throughput, "latency": cmd_latency, "cpu": cmd_cpu, "c10k": cmd_c10k,
            "queued-memory": cmd_queued_memory, "metg": cmd_metg}


def main(argv):
    set_log_name("rq_peer")
    args = parse_args(argv)
    install_signal_handlers()
    run = None
    rc = 0
    try:
        run = Run(args)
        out = COMMANDS[args.command](run)
    except Interrupted as e:
        log(e.why)
        rc = e.exit_code
    except LimitReached as e:
        log(f"could not measure: {e} (limit {args.limit_s} s)")
        rc = 1
    except Exception as e:  # noqa: BLE001 - report anything, stop the workers below
        log(f"could not measure: {type(e).__name__}: {e}")
        rc = 1
    finally:
        begin_cleanup()
        if run is not None:
            t = time.perf_counter()
            run.stop()
            log(f"workers stopped in {time.perf_counter() - t:.2f} s")
    if rc == 0:
        emit(out)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
