"""Shoal's side of every figure: a real shoal-broker and real shoal-worker processes (the
Release build), driven by bench/cluster/cluster_client, one cluster per measurement."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from procs import Proc, RedisServer, cpu_s, free_port, machine_ticks, rss_kib, run_json, run_json_all


class Build:
    def __init__(self, root):
        self.root = root
        self.broker = os.path.join(root, "broker", "shoal-broker")
        self.worker = os.path.join(root, "worker", "shoal-worker")
        self.cli = os.path.join(root, "client", "shoal")
        self.tasks = os.path.join(root, "examples", "tasks", "libshoal_seed_tasks_plugin.so")
        self.client = os.path.join(root, "bench", "cluster_client")
        self.relay = os.path.join(root, "bench", "zmq_relay")


def make_keys(build, folder, workers):
    """CURVE keys for a secured cluster (SECURITY.md), made by `shoal keygen`: the broker's pair,
    an authorised key per worker, a client key and an admin key. Returns the paths."""
    own = os.path.join(folder, "own")
    authorised = os.path.join(folder, "authorised")
    names = [("client", "clients"), ("admin", "admins")] + [(f"worker-{i}", "workers") for i in range(workers)]
    for d in (own, *(os.path.join(authorised, role) for _, role in names)):
        os.makedirs(d, exist_ok=True)
    subprocess.run([build.cli, "keygen", "broker", "--dir", folder], check=True, capture_output=True)
    for name, role in names:
        subprocess.run([build.cli, "keygen", name, "--dir", own], check=True, capture_output=True)
        shutil.copy(os.path.join(own, f"{name}.key"), os.path.join(authorised, role))
    return {"broker_public": os.path.join(folder, "broker.key"),
            "broker_secret": os.path.join(folder, "broker.key_secret"),
            "keys_dir": authorised,
            "secret": lambda name: os.path.join(own, f"{name}.key_secret")}


class Cluster:
    """A broker and `workers` workers. With `hosts` (netns.Hosts) the broker and the client run
    in the hub namespace and worker i in namespace i; otherwise all on loopback. With `secure`
    every connection is CURVE-encrypted and authenticated (make_keys)."""

    def __init__(self, build, workers=2, threads=1, processes=1, worker_args=(), broker_args=(), hosts=None,
                 secure=False, port=0):
        self.build = build
        self.hosts = hosts
        self.logs = tempfile.mkdtemp(prefix="shoal-bench-")
        self.workers = []
        self.keys = make_keys(build, os.path.join(self.logs, "keys"), workers) if secure else None
        if self.keys:
            broker_args = (*broker_args, "--secret-key", self.keys["broker_secret"], "--keys-dir",
                           self.keys["keys_dir"])
        hub = hosts.on_hub() if hosts else []
        address = hosts.hub_address if hosts else "127.0.0.1"
        self.broker = Proc([*hub, build.broker, "--bind", f"tcp://{address}:{port}", "--print-endpoint",
                            "--log-level", "warn", *broker_args],
                           stdout=subprocess.PIPE, stderr=open(os.path.join(self.logs, "broker.log"), "w"))
        self.endpoint = self.broker.read_line(20)
        if not self.endpoint or not self.endpoint.startswith("tcp://"):
            self.stop()
            raise RuntimeError(f"shoal-broker did not start (log: {self._tail('broker.log')})")
        for i in range(workers):
            prefix = hosts.on_worker(i) if hosts else []
            self.workers.append(Proc([*prefix, build.worker, "--broker", self.endpoint, "--tasks", build.tasks,
                                      "--name", f"bench-{i}", "--threads", str(threads), "--processes",
                                      str(processes), "--log-level", "warn", *self.key_args(f"worker-{i}"),
                                      *worker_args],
                                     stderr=open(os.path.join(self.logs, f"worker-{i}.log"), "w")))
        try:
            self.wait_registered(workers)
        except RuntimeError:
            self.stop()
            raise

    def wait_registered(self, workers, timeout_s=30):
        """Until the broker lists `workers` workers; RuntimeError after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.registered() >= workers:
                return
            time.sleep(0.05)
        raise RuntimeError(f"only {self.registered()} of {workers} workers registered")

    def key_args(self, name):
        if not self.keys:
            return []
        return ["--broker-key", self.keys["broker_public"], "--key", self.keys["secret"](name)]

    def registered(self):
        hub = self.hosts.on_hub() if self.hosts else []
        r = subprocess.run([*hub, self.build.cli, "inspect", "workers", "--json", "--broker", self.endpoint,
                            *self.key_args("admin")], capture_output=True, text=True, timeout=20)
        return r.stdout.count('"name"')

    def client_env(self):
        env = dict(os.environ, SHOAL_BROKER=self.endpoint)
        if self.keys:
            env.update(SHOAL_BROKER_KEY=self.keys["broker_public"], SHOAL_KEY=self.keys["secret"]("client"))
        return env

    def client(self, *args, timeout_s=600):
        hub = self.hosts.on_hub() if self.hosts else []
        return run_json([*hub, self.build.client, *map(str, args)], timeout_s, env=self.client_env())

    def clients(self, count, *args, timeout_s=600, watch=None):
        """`count` cluster_client processes with the same arguments, all at once; their JSON
        (watch: procs.run_json_all's)."""
        hub = self.hosts.on_hub() if self.hosts else []
        return run_json_all([[*hub, self.build.client, *map(str, args)]] * count, timeout_s, env=self.client_env(),
                            watch=watch)

    def _tail(self, name):
        try:
            with open(os.path.join(self.logs, name)) as f:
                return " | ".join(f.read().strip().splitlines()[-3:])
        except OSError:
            return ""

    def stop(self):
        for w in self.workers:
            w.stop(grace_s=5.0)
        self.broker.stop(grace_s=5.0)
        subprocess.run(["rm", "-rf", self.logs])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Workers for no-op throughput keep many tasks at hand, so that the broker is never waited for.
WIDE = ("--concurrency", "1024", "--prefetch", "1024")


def throughput(build, tasks, workers=2, hosts=None, broker_args=(), secure=False):
    with Cluster(build, workers=workers, worker_args=WIDE, hosts=hosts, broker_args=broker_args,
                 secure=secure) as c:
        return c.client("throughput", tasks)


def latency(build, round_trips, secure=False):
    with Cluster(build, workers=2, secure=secure) as c:
        return c.client("latency", round_trips)


# The concurrent-clients latency figure's workers: enough slots that none of the clients' round
# trips waits for a slot (16 clients, 2 workers: 8 each at most), so that the figure is about the
# broker and the transport under concurrent clients. The default (one thread, one process: 2
# slots a worker) holds 4 at once; `add` runs on the loop and ends at once, so that measured
# nearly the same (p99 about 10% higher; bench/README.md).
CONCURRENT_SLOTS = ("--concurrency", "32")


def at_rank(ordered, q):
    """cluster_client's quantile of sorted samples: the one at rank floor(q * (n - 1))."""
    return ordered[int(q * (len(ordered) - 1))] if ordered else None


def pooled(runs):
    """Several clients' latency runs as one: every sample, p50/p99/p999 over all of them (the
    quantiles as cluster_client takes them), and each client's own p99 beside."""
    samples = sorted(s for r in runs for s in r["samples_us"])
    return {"samples": len(samples), "mean_us": sum(samples) / len(samples) if samples else None,
            "p50_us": at_rank(samples, 0.5), "p99_us": at_rank(samples, 0.99),
            "p999_us": at_rank(samples, 0.999), "client_p99_us": [r["p99_us"] for r in runs],
            "samples_us": samples}


class CpuWatch:
    """Every `every_s` while clients run: the CPU time of the servers (broker, workers) and of
    each client, and the machine's busy ticks; then the CPU each used in the middle of the run
    (from 25% to 75% of it: every client started and connected, none ended), away from the
    clients' start (loading, connecting: about 30 ms of CPU each) and their end."""

    def __init__(self, servers, every_s=0.1):
        self.servers, self.every_s, self.readings = dict(servers), every_s, []  # servers: pid -> name

    def __call__(self, clients, running):
        pids = {**self.servers, **{pid: "clients" for pid in clients}}
        while running():
            self.readings.append((time.monotonic(), {pid: cpu_s(pid) for pid in pids}, machine_ticks(), pids))
            time.sleep(self.every_s)

    def middle(self):
        """{"seconds", "cpu_s": {"broker", "workers", "clients"}, "machine_busy", "clients_seen"}
        over the middle half of the readings' span, or None with too few readings."""
        if len(self.readings) < 4:
            return None
        t0, t1 = self.readings[0][0], self.readings[-1][0]
        inside = [r for r in self.readings if t0 + 0.25 * (t1 - t0) <= r[0] <= t0 + 0.75 * (t1 - t0)]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        (a_t, a, a_ticks, pids), (b_t, b, b_ticks, _) = inside[0], inside[-1]
        used = {"broker": 0.0, "workers": 0.0, "clients": 0.0}
        seen = 0
        for pid, name in pids.items():
            if a.get(pid) is None or b.get(pid) is None:
                continue
            used[name] += b[pid] - a[pid]
            seen += name == "clients"
        return {"seconds": b_t - a_t, "cpu_s": used, "clients_seen": seen,
                "machine_busy": (b_ticks[0] - a_ticks[0]) / max(1, b_ticks[1] - a_ticks[1])}


def latency_concurrent(build, clients, round_trips, single_round_trips=0, worker_args=CONCURRENT_SLOTS):
    """`clients` cluster_client processes at once, each doing `round_trips` sequential round trips
    of add(1, 2) (after its own 200 warm-up ones) against one cluster like the latency figure's
    (a broker, two workers), their samples pooled. With single_round_trips, one client alone
    first in the same cluster (the run has no latency figure to compare with), kept as
    "single". Beside them, where the CPU went while they ran (CpuWatch)."""
    with Cluster(build, workers=2, worker_args=worker_args) as c:
        single = c.client("latency", single_round_trips) if single_round_trips else None
        watch = CpuWatch({c.broker.pid: "broker", **{w.pid: "workers" for w in c.workers}})
        started = time.monotonic()
        runs = c.clients(clients, "latency", round_trips, watch=watch)
        wall = time.monotonic() - started
    out = {"clients": clients, "round_trips": round_trips, "worker_args": list(worker_args),
           "wall_s": round(wall, 3), **pooled(runs)}
    # The cluster's rate while every client measured: each client's own rate (its round trips
    # over the time they took), summed.
    rate = sum(len(r["samples_us"]) / sum(r["samples_us"]) * 1e6 for r in runs if r["samples_us"])
    out["round_trips_per_s"] = round(rate)
    middle = watch.middle()
    if middle and rate:
        per_s = {name: used / middle["seconds"] for name, used in middle["cpu_s"].items()}
        out["cpu_us_per_round_trip"] = {name: round(cpu / rate * 1e6, 1) for name, cpu in per_s.items()}
        out["machine_busy"] = round(middle["machine_busy"], 3)
        out["cpu_window"] = {"seconds": round(middle["seconds"], 3), "clients_seen": middle["clients_seen"]}
    if single:
        out["single"] = single
    return out


def curve(build, tasks, round_trips, runs=3):
    """What encryption costs: no-op throughput and sequential round trips in plaintext and with
    CURVE, alternating (plain, curve, plain, curve...) so that a machine that slows down
    mid-run slows both; the median run of each is kept, all runs beside it."""
    out = {"tasks": tasks, "round_trips": round_trips}
    for secure, mode in ((False, "plain"), (True, "curve")):
        out[mode] = {"throughput_runs": [], "latency_runs": []}
    for _ in range(runs):
        for secure, mode in ((False, "plain"), (True, "curve")):
            out[mode]["throughput_runs"].append(throughput(build, tasks, secure=secure))
            out[mode]["latency_runs"].append(latency(build, round_trips, secure=secure))
    for mode in ("plain", "curve"):
        t = sorted(out[mode]["throughput_runs"], key=lambda r: r["tasks_per_s"])
        lat = sorted(out[mode]["latency_runs"], key=lambda r: r["p50_us"])
        out[mode]["tasks_per_s"] = t[len(t) // 2]["tasks_per_s"]
        out[mode]["p50_us"] = lat[len(lat) // 2]["p50_us"]
        out[mode]["p99_us"] = sorted(r["p99_us"] for r in lat)[len(lat) // 2]
    return out


def broker_stats(build, endpoint):
    r = subprocess.run([build.cli, "inspect", "stats", "--json", "--broker", endpoint], capture_output=True,
                       text=True, timeout=20)
    rows = json.loads(r.stdout).get("rows", []) if r.returncode == 0 else []
    return rows[0] if rows else {}


def events(build, tasks, runs=3):
    """What the event stream costs: no-op throughput with nobody subscribed, and with one
    subscriber (`shoal events --json` writing to /dev/null: a person tailing it), alternating so
    that a machine that slows down mid-run slows both; the median run of each is kept. With the
    subscriber, the broker's count of events told and of events it dropped for it (the
    subscriber did not read in time) are kept too."""
    out = {"tasks": tasks, "none": {"runs": []}, "subscribed": {"runs": [], "published": [], "dropped": []}}
    for _ in range(runs):
        for mode in ("none", "subscribed"):
            with Cluster(build, workers=2, worker_args=WIDE) as c:
                tail = None
                if mode == "subscribed":
                    tail = Proc([build.cli, "events", "--json", "--broker", c.endpoint])
                    deadline = time.monotonic() + 30
                    while broker_stats(build, c.endpoint).get("event_subscribers", 0) < 1:
                        if time.monotonic() > deadline:
                            raise RuntimeError("shoal events did not subscribe within 30 s")
                        time.sleep(0.05)
                out[mode]["runs"].append(c.client("throughput", tasks))
                if tail:
                    stats = broker_stats(build, c.endpoint)
                    out[mode]["published"].append(stats.get("events_published", 0))
                    out[mode]["dropped"].append(stats.get("events_dropped", 0))
                    tail.stop()
    for mode in ("none", "subscribed"):
        ordered = sorted(out[mode]["runs"], key=lambda r: r["tasks_per_s"])
        out[mode]["tasks_per_s"] = ordered[len(ordered) // 2]["tasks_per_s"]
    out["subscribed"]["events_dropped_max"] = max(out["subscribed"]["dropped"], default=0)
    out["subscribed"]["events_published_max"] = max(out["subscribed"]["published"], default=0)
    return out


def dag(build, leaves):
    """The tree reduction of 1..leaves (cluster_client dag): every level submitted at once as
    futures as arguments, the broker splicing each pair's results into their sum's arguments.
    Two workers, wide as for no-op throughput (the adds are as small as no-ops)."""
    with Cluster(build, workers=2, worker_args=WIDE) as c:
        return c.client("dag", leaves)


def cpu(build, tasks=10, rounds=1):
    # Two workers, each with a one-child process pool: the seeds' count runs in the children.
    with Cluster(build, workers=2, threads=1, processes=1, worker_args=("--concurrency", "1")) as c:
        return c.client("cpu", tasks, rounds)


def c10k(build, tasks, sleep_s=1.0):
    per_worker = str(tasks)
    with Cluster(build, workers=2, worker_args=("--concurrency", per_worker, "--prefetch", "0")) as c:
        return c.client("c10k", tasks, sleep_s)


def queued_memory(build, tasks):
    """The broker's RSS with `tasks` no-op tasks queued (no worker: they stay queued)."""
    with Cluster(build, workers=0) as c:
        before = rss_kib(c.broker.pid)
        c.client("fill", tasks)
        after = rss_kib(c.broker.pid)
    return {"tasks": tasks, "rss_before_kb": before, "rss_after_kb": after,
            "bytes_per_task": (after - before) * 1024 / tasks, "where": "shoal-broker RSS"}


def inflight_memory(build, tasks):
    """One worker's RSS with `tasks` coroutine tasks (sleep 60 s) running at once."""
    with Cluster(build, workers=1, worker_args=("--concurrency", str(tasks), "--prefetch", "0")) as c:
        r = c.client("inflight", tasks, c.workers[0].pid)
    r["bytes_per_task"] = (r["rss_after_kb"] - r["rss_before_kb"]) * 1024 / tasks
    return r


def metg(build, ideal_wall_s):
    # Two workers, one compute thread each (spin runs on the thread pool), at the worker's
    # default prefetch: the broker spreads a batch over the workers that can take it (issue 17),
    # so a deep prefetch no longer lets one worker take a whole batch while the other idles.
    with Cluster(build, workers=2, threads=1, processes=1, worker_args=("--concurrency", "1")) as c:
        out = c.client("metg", 2, ideal_wall_s)
    # The same sweep with one worker, which leaves one of two CPUs to the client's, the broker's
    # and the worker's own threads: what the tasks' spinning on every CPU costs (report.py).
    with Cluster(build, workers=1, threads=1, processes=1, worker_args=("--concurrency", "1")) as c:
        out["one_worker"] = c.client("metg", 1, ideal_wall_s)
    return out


def durable(build, tasks, scratch):
    """The same no-op batch in memory, then with Redis at appendfsync everysec, then always, then
    everysec again with the broker active under a lease (issue 20: every write fenced by the
    lease, broker/README.md "Active and standby brokers"); with Redis, the CPU Redis and the
    broker each spent on the batch, per task (issue 17: what limits durable mode)."""
    out = {"memory": throughput(build, tasks)}
    for mode in ("everysec", "always", "everysec_lease"):
        fsync = mode.split("_")[0]
        redis = RedisServer(os.path.join(scratch, f"redis-{mode}"), appendonly=True, appendfsync=fsync)
        broker_args, port = ("--redis", redis.url), 0
        if mode == "everysec_lease":
            port = free_port()  # a lease needs a fixed port: peers list the brokers' endpoints
            broker_args += ("--ha-lease-ms", "3000", "--ha-name", "bench")
        try:
            with Cluster(build, workers=2, worker_args=WIDE, broker_args=broker_args, port=port) as c:
                before = {"redis": cpu_s(redis.proc.pid), "broker": cpu_s(c.broker.pid)}
                r = c.client("throughput", tasks)
                for who, pid in (("redis", redis.proc.pid), ("broker", c.broker.pid)):
                    now = cpu_s(pid)
                    if now is not None and before[who] is not None and r.get("tasks"):
                        r[f"{who}_cpu_us_per_task"] = (now - before[who]) * 1e6 / r["tasks"]
            r["left_in_redis"] = int(redis.cli("hlen", "shoal:tasks") or 0)
            out[mode] = r
        finally:
            redis.stop()
    return out


def relay(build, round_trips, messages):
    """The floor: a bare ZeroMQ DEALER-ROUTER-DEALER relay, three processes like Shoal's path."""
    router = Proc([build.relay, "router", "tcp://127.0.0.1:0"], stdout=subprocess.PIPE)
    echo = None
    try:
        endpoint = router.read_line(10)
        if not endpoint:
            raise RuntimeError("zmq_relay router did not start")
        echo = Proc([build.relay, "echo", endpoint])
        rt = run_json([build.relay, "client", endpoint, str(round_trips)], 300)
        thr = run_json([build.relay, "throughput", endpoint, str(messages)], 300)
        return {**rt, **thr}
    finally:
        if echo:
            echo.stop()
        router.stop()
