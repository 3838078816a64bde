"""bench/run's driver: every figure of the side-by-side benchmark, for Shoal, for its peers
(Celery, Dask, RQ) and for the floor (a bare ZeroMQ relay), in one run on this machine; then
the table on stdout, the JSON, and a dated Markdown report with plots in bench/results/.

    /usr/bin/python3 bench/suite/main.py --build build/release [--quick] [--peers celery,dask,rq]
                                          [--only throughput,latency,...] [--out DIR]
"""

import argparse
import datetime
import os
import platform
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
import peer_side  # noqa: E402
import python_side  # noqa: E402
import failover_side  # noqa: E402
import report  # noqa: E402
import shoal_side  # noqa: E402
from procs import RedisServer, log, stop_all  # noqa: E402

# `python` comes after throughput and latency: it reuses the peers' figures of those when the run
# has them; `latency16` after latency, whose single-client p99 it is compared with.
FIGURES = ["floor", "throughput", "latency", "latency16", "python", "cpu", "c10k", "scaling", "durable", "curve",
           "events", "memory", "metg", "dag", "failover"]

# Sizes. The full run follows the issue; the quick one keeps every figure but shrinks it so the
# whole run ends in under 3 minutes (the build aside).
FULL = {
    "shoal_throughput": [10_000, 100_000, 1_000_000],
    "peer_throughput": [10_000, 100_000],
    "peer_skip_larger_after_s": 20,  # a peer whose 10k run took longer is not run at 100k
    "shoal_latency": 10_000, "peer_latency": 10_000,
    # latency16: this many clients at once, each doing this many sequential round trips.
    "concurrent_clients": 16, "concurrent_round_trips": 2_000,
    "c10k": 10_000, "peer_c10k": 10_000,
    "scaling_workers": [1, 2, 4], "shoal_scaling": 100_000, "peer_scaling": 5_000,
    "durable": 100_000,
    "curve_tasks": 100_000, "curve_round_trips": 5_000,
    "events_tasks": 100_000,
    "shoal_queued": 1_000_000, "peer_queued": 20_000, "inflight": 100_000,
    "metg_wall_s": 0.5, "peer_metg_tasks": 40, "cpu_rounds": 50,
    "relay_round_trips": 10_000, "relay_messages": 1_000_000,
    # DAG: a tree reduction of N leaves is 2N - 1 tasks (50,000 leaves: 99,999 tasks).
    "shoal_dag_leaves": 50_000, "peer_dag_leaves": {"dask": 50_000, "celery": 10_000},
    # The Python client (clients/python): no-op tasks in one map(), sequential round trips.
    "python_tasks": 100_000, "python_round_trips": 2_000,
    "peer_limit_s": 300,
    "peer_pools": "all",
}
QUICK = {
    "shoal_throughput": [10_000, 100_000],
    "peer_throughput": [1_000],
    "peer_skip_larger_after_s": 0,
    "shoal_latency": 2_000, "peer_latency": 200,
    "concurrent_clients": 16, "concurrent_round_trips": 300,
    "c10k": 10_000, "peer_c10k": 1_000,
    "scaling_workers": [1, 2, 4], "shoal_scaling": 50_000, "peer_scaling": 0,
    "durable": 20_000,
    "curve_tasks": 20_000, "curve_round_trips": 1_000,
    "events_tasks": 20_000,
    "shoal_queued": 200_000, "peer_queued": 5_000, "inflight": 20_000,
    "metg_wall_s": 0.1, "peer_metg_tasks": 10, "cpu_rounds": 20,
    "relay_round_trips": 2_000, "relay_messages": 200_000,
    "shoal_dag_leaves": 10_000, "peer_dag_leaves": {"dask": 2_000, "celery": 500},
    "python_tasks": 20_000, "python_round_trips": 500,
    "peer_limit_s": 60,
    "peer_pools": "first",
}
# RQ's forking worker forks a process per job (about 50 jobs/s, 25 ms a round trip here):
# its runs are capped so that the full run stays within the hour.
CAPS = {("rq", "fork"): {"throughput": 2_000, "latency": 1_000, "scaling": 1_000}}


def get_p99(latency):
    return latency.get("p99_us") if isinstance(latency, dict) else None


def sizes_for(peer, pool, figure, n):
    return min(n, CAPS.get((peer, pool), {}).get(figure, n))


class Run:
    def __init__(self, args):
        self.args = args
        self.plan = QUICK if args.quick else FULL
        self.build = shoal_side.Build(args.build)
        self.scratch = tempfile.mkdtemp(prefix="shoal-bench-run-")
        self.results = {"meta": self.meta(), "shoal": {}, "floor": {}, "errors": []}
        for p in args.peers:
            self.results[p] = {}
        self.redis = None

    def meta(self):
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        versions = {}
        for module in ("celery", "distributed", "rq"):
            try:
                versions[module] = __import__(module).__version__
            except Exception as e:  # a missing peer is reported, not fatal
                versions[module] = f"missing ({e.__class__.__name__})"
        return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "host": platform.node(),
                "cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
                "quick": self.args.quick, "load_before": load, "versions": versions}

    def attempt(self, what, fn):
        """Runs one measurement; a failure is recorded and the run goes on."""
        started = time.monotonic()
        log(f"-- {what} ...")
        try:
            value = fn()
            log(f"   {what}: {time.monotonic() - started:.1f} s")
            return value
        except Exception as e:  # each figure stands alone: report it and go on
            log(f"   {what} FAILED: {e}")
            self.results["errors"].append({"what": what, "error": str(e)})
            return None

    def median_of(self, what, fn, runs=3, key="tasks_per_s"):
        """fn() `runs` times (each an attempt): the median run by `key`, all the runs kept beside
        it under "runs"; None if none succeeded."""
        done = [self.attempt(f"{what}, run {i + 1}", fn) for i in range(runs)]
        done = sorted((r for r in done if r), key=lambda r: r[key])
        return dict(done[len(done) // 2], runs=done) if done else None

    def peer_pools(self, peer):
        pools = peer_side.POOLS[peer]
        return pools if self.plan["peer_pools"] == "all" else pools[:1]

    def best_pool(self, peer):
        """The pool with the best no-op throughput at the first size."""
        runs = self.results[peer].get("throughput", {})
        n = str(self.plan["peer_throughput"][0])
        scored = [(r[n]["tasks_per_s"], pool) for pool, r in runs.items() if r.get(n)]
        return max(scored)[1] if scored else self.peer_pools(peer)[0]

    # --- the figures ---------------------------------------------------------------------------

    def floor(self):
        self.results["floor"] = self.attempt("floor: zmq relay", lambda: shoal_side.relay(
            self.build, self.plan["relay_round_trips"], self.plan["relay_messages"])) or {}

    def throughput(self):
        # On a shared VM one batch can run at half the speed of the next: Shoal's runs are short,
        # so each size runs three times and the median is reported (all three kept). A peer's
        # run takes 20-60 s; each runs once.
        s = self.results["shoal"].setdefault("throughput", {})
        for n in self.plan["shoal_throughput"]:
            s[str(n)] = self.median_of(f"shoal throughput {n}", lambda n=n: shoal_side.throughput(self.build, n))
        for peer in self.args.peers:
            runs = self.results[peer].setdefault("throughput", {})
            for pool in self.peer_pools(peer):
                r = runs.setdefault(pool or "default", {})
                for i, n in enumerate(self.plan["peer_throughput"]):
                    if i > 0:
                        prev = r.get(str(self.plan["peer_throughput"][i - 1]))
                        if not prev or prev.get("seconds", 1e9) > self.plan["peer_skip_larger_after_s"]:
                            r[str(n)] = {"skipped": f"the {self.plan['peer_throughput'][i - 1]:,}-task run took "
                                                    f"{(prev or {}).get('seconds', 0):.0f} s"}
                            continue
                    m = sizes_for(peer, pool, "throughput", n)
                    if i > 0 and m == sizes_for(peer, pool, "throughput", self.plan["peer_throughput"][i - 1]):
                        r[str(n)] = {"skipped": f"capped at {m:,} tasks, run above"}
                        continue
                    r[str(n)] = self.attempt(f"{peer} {pool or ''} throughput {m}", lambda m=m, pool=pool, peer=peer:
                                             self.peer(peer).run("throughput", self.plan["peer_limit_s"], pool,
                                                                 tasks=m, workers=2))

    def latency(self):
        self.results["shoal"]["latency"] = self.attempt("shoal latency", lambda: shoal_side.latency(
            self.build, self.plan["shoal_latency"]))
        for peer in self.args.peers:
            runs = self.results[peer].setdefault("latency", {})
            pools = self.peer_pools(peer) if self.plan["peer_pools"] == "all" else [self.best_pool(peer)]
            for pool in pools:
                n = sizes_for(peer, pool, "latency", self.plan["peer_latency"])
                runs[pool or "default"] = self.attempt(f"{peer} {pool or ''} latency {n}", lambda n=n, pool=pool, peer=peer:
                                                       self.peer(peer).run("latency", self.plan["peer_limit_s"], pool,
                                                                           round_trips=n, workers=2))

    def latency16(self):
        # Shoal alone (issue 17): 16 clients at once, each doing sequential round trips, against
        # one cluster like the latency figure's; its p99 is compared with the single client's of
        # the same run: the latency figure's when the run has it, otherwise one client alone
        # first, in the same cluster.
        k, n = self.plan["concurrent_clients"], self.plan["concurrent_round_trips"]
        single = 0 if get_p99(self.results["shoal"].get("latency")) else self.plan["shoal_latency"]
        self.results["shoal"]["latency16"] = self.attempt(
            f"shoal latency, {k} clients at once, {n} round trips each", lambda: shoal_side.latency_concurrent(
                self.build, k, n, single_round_trips=single))

    def python(self):
        # The pure-Python client against C++ workers (the seed tasks) and against Python workers:
        # no-op throughput (short runs: the median of three, as Shoal's throughput) and
        # sequential round trips of add.
        n, m = self.plan["python_tasks"], self.plan["python_round_trips"]
        out = self.results["shoal"].setdefault("python", {})
        for kind in python_side.WORKERS:
            out[kind] = {
                "throughput": self.median_of(f"python client, {kind} workers, throughput {n}", lambda kind=kind:
                                             python_side.throughput(self.build, n, kind)),
                "latency": self.attempt(f"python client, {kind} workers, latency {m}", lambda kind=kind:
                                        python_side.latency(self.build, m, kind)),
            }
        for peer in self.args.peers:
            self.python_peer(peer)

    def python_peer(self, peer):
        """The peer's no-op throughput and round trips beside the Python client's: its runs of the
        throughput and latency figures when this run has them (the report takes them from
        there), otherwise runs made here at the first size of each (every pool in the full run,
        the first in the quick one), kept under the peer's "python"."""
        pools = self.peer_pools(peer) if self.plan["peer_pools"] == "all" else [self.best_pool(peer)]
        own = {}
        if "throughput" not in self.args.only:
            own["throughput"] = {pool or "default": self.python_peer_throughput(peer, pool) for pool in pools}
        if "latency" not in self.args.only:
            own["latency"] = {pool or "default": self.python_peer_latency(peer, pool) for pool in pools}
        if own:
            self.results[peer]["python"] = own

    def python_peer_throughput(self, peer, pool):
        n = sizes_for(peer, pool, "throughput", self.plan["peer_throughput"][0])
        what = f"{peer} {pool or ''} throughput {n} (beside the python client)"
        return {str(n): self.attempt(what, lambda: self.peer(peer).run(
            "throughput", self.plan["peer_limit_s"], pool, tasks=n, workers=2))}

    def python_peer_latency(self, peer, pool):
        n = sizes_for(peer, pool, "latency", self.plan["peer_latency"])
        what = f"{peer} {pool or ''} latency {n} (beside the python client)"
        return self.attempt(what, lambda: self.peer(peer).run(
            "latency", self.plan["peer_limit_s"], pool, round_trips=n, workers=2))

    def cpu(self):
        # C++ counts to 10^7 in milliseconds, Python in about 0.4 s: Shoal's tasks run the same
        # loop `cpu_rounds` times over, so that the figure is about parallel work, not about
        # overheads. The seed's own size is measured too, and kept beside it.
        rounds = self.plan["cpu_rounds"]
        self.results["shoal"]["cpu"] = self.attempt(f"shoal cpu ({rounds} rounds)", lambda: shoal_side.cpu(
            self.build, 10, rounds))
        self.results["shoal"]["cpu_seed_size"] = self.attempt("shoal cpu (the seed's size)", lambda: shoal_side.cpu(
            self.build, 10, 1))
        for peer in self.args.peers:
            runs = self.results[peer].setdefault("cpu", {})
            pools = self.peer_pools(peer) if self.plan["peer_pools"] == "all" else [self.best_pool(peer)]
            for pool in pools:
                runs[pool or "default"] = self.attempt(f"{peer} {pool or ''} cpu", lambda pool=pool, peer=peer:
                                                       self.peer(peer).run("cpu", self.plan["peer_limit_s"], pool,
                                                                           tasks=10, workers=2))

    def c10k(self):
        self.results["shoal"]["c10k"] = self.attempt("shoal c10k", lambda: shoal_side.c10k(self.build, self.plan["c10k"]))
        for peer in self.args.peers:
            pool = "gevent" if peer == "celery" else None
            self.results[peer]["c10k"] = self.attempt(f"{peer} c10k", lambda pool=pool, peer=peer: self.peer(peer).run(
                "c10k", self.plan["peer_limit_s"], pool, tasks=self.plan["peer_c10k"], sleep=1.0))

    def scaling(self):
        s = self.results["shoal"].setdefault("scaling", {"loopback": {}, "netns": {}})
        n = self.plan["shoal_scaling"]
        for w in self.plan["scaling_workers"]:
            s["loopback"][str(w)] = self.attempt(f"shoal scaling {w} workers", lambda w=w: shoal_side.throughput(
                self.build, n, workers=w))
        for w in self.plan["scaling_workers"]:
            s["netns"][str(w)] = self.attempt(f"shoal scaling {w} workers, one namespace each", lambda w=w:
                                              self.on_hosts(w, lambda hosts: shoal_side.throughput(
                                                  self.build, n, workers=w, hosts=hosts)))
        if not self.plan["peer_scaling"]:
            return
        for peer in self.args.peers:
            pool = self.best_pool(peer)
            runs = self.results[peer].setdefault("scaling", {"pool": pool})
            for w in self.plan["scaling_workers"]:
                m = sizes_for(peer, pool, "scaling", self.plan["peer_scaling"])
                runs[str(w)] = self.attempt(f"{peer} {pool or ''} scaling {w} workers", lambda w=w, m=m, pool=pool, peer=peer:
                                            self.peer(peer).run("throughput", self.plan["peer_limit_s"], pool,
                                                                tasks=m, workers=w))

    def on_hosts(self, workers, fn):
        hosts = netns.Hosts(workers)
        try:
            return fn(hosts)
        finally:
            hosts.remove()

    def durable(self):
        self.results["shoal"]["durable"] = self.attempt("shoal durable (memory, everysec, always)", lambda:
                                                        shoal_side.durable(self.build, self.plan["durable"],
                                                                           self.scratch))

    def curve(self):
        self.results["shoal"]["curve"] = self.attempt("shoal with CURVE beside plaintext", lambda: shoal_side.curve(
            self.build, self.plan["curve_tasks"], self.plan["curve_round_trips"]))

    def events(self):
        self.results["shoal"]["events"] = self.attempt("shoal with an event subscriber beside none", lambda:
                                                       shoal_side.events(self.build, self.plan["events_tasks"]))

    def memory(self):
        m = self.results["shoal"].setdefault("memory", {})
        m["queued"] = self.attempt("shoal broker memory", lambda: shoal_side.queued_memory(
            self.build, self.plan["shoal_queued"]))
        m["inflight"] = self.attempt("shoal worker memory", lambda: shoal_side.inflight_memory(
            self.build, self.plan["inflight"]))
        for peer in self.args.peers:
            self.results[peer]["queued_memory"] = self.attempt(f"{peer} queued memory", lambda peer=peer: self.peer(
                peer).run("queued-memory", self.plan["peer_limit_s"], tasks=self.plan["peer_queued"]))

    def metg(self):
        self.results["shoal"]["metg"] = self.attempt("shoal metg", lambda: shoal_side.metg(
            self.build, self.plan["metg_wall_s"]))
        for peer in self.args.peers:
            runs = self.results[peer].setdefault("metg", {})
            pools = self.peer_pools(peer) if self.plan["peer_pools"] == "all" else [self.best_pool(peer)]
            for pool in pools:
                runs[pool or "default"] = self.attempt(f"{peer} {pool or ''} metg", lambda pool=pool, peer=peer:
                                                       self.peer(peer).run("metg", self.plan["peer_limit_s"], pool,
                                                                           workers=2,
                                                                           tasks_per_point=self.plan["peer_metg_tasks"]))

    def failover(self):
        # Issue 20: the active broker killed, or paused as if cut off; the standby takes over.
        # Then the Redis primary killed under a broker on Redis Sentinel; a replica is promoted.
        f = self.results["shoal"].setdefault("failover", {})
        for kind in failover_side.KINDS:
            f[kind] = self.attempt(f"shoal failover ({kind})", lambda kind=kind: failover_side.failover(
                self.build, self.scratch, kind))

    def dag(self):
        # Shoal's tree takes a second or less: three runs, the median reported (all kept), as throughput.
        leaves = self.plan["shoal_dag_leaves"]
        self.results["shoal"]["dag"] = self.median_of(f"shoal dag ({leaves:,} leaves)",
                                                      lambda: shoal_side.dag(self.build, leaves))
        # A peer whose 100,000-task tree would not end within peer_limit_s runs a smaller tree
        # (peer_dag_leaves); tasks/s is compared, the sizes are printed beside.
        for peer in self.args.peers:
            if peer not in peer_side.DAG_PEERS:
                continue
            runs = self.results[peer].setdefault("dag", {})
            pools = self.peer_pools(peer) if self.plan["peer_pools"] == "all" else [self.best_pool(peer)]
            n = self.plan["peer_dag_leaves"][peer]
            for pool in pools:
                runs[pool or "default"] = self.attempt(f"{peer} {pool or ''} dag ({n:,} leaves)",
                                                       lambda pool=pool, peer=peer, n=n: self.peer(peer).run(
                                                           "dag", self.plan["peer_limit_s"], pool, leaves=n,
                                                           workers=2))

    def peer(self, name):
        if peer_side.NEEDS_REDIS[name] and self.redis is None:
            self.redis = RedisServer(os.path.join(self.scratch, "peers-redis"))
        return peer_side.Peer(name, self.redis)

    def run(self):
        started = time.monotonic()
        try:
            for figure in FIGURES:
                if figure in self.args.only:
                    getattr(self, figure)()
        finally:
            if self.redis:
                self.redis.stop()
            os.system(f"rm -rf '{self.scratch}'")
        with open("/proc/loadavg") as f:
            self.results["meta"]["load_after"] = f.read().split()[:3]
        self.results["meta"]["seconds"] = round(time.monotonic() - started, 1)
        return self.results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="a Release build tree of Shoal")
    parser.add_argument("--quick", action="store_true", help="every figure, small sizes: under 3 minutes")
    parser.add_argument("--peers", default="celery,dask,rq", help="comma-separated; empty for Shoal alone")
    parser.add_argument("--only", default=",".join(FIGURES), help="comma-separated figures: " + ", ".join(FIGURES))
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results"),
                        help="where the dated report, JSON and plots go (default bench/results)")
    args = parser.parse_args()
    args.peers = [p for p in args.peers.split(",") if p]
    args.only = [f for f in args.only.split(",") if f]
    unknown = [p for p in args.peers if p not in peer_side.POOLS] + [f for f in args.only if f not in FIGURES]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")

    def on_signal(signum, _frame):
        stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        results = Run(args).run()
    finally:
        stop_all()
    paths = report.write(results, args.out)
    if args.json:
        with open(paths["json"]) as f:
            print(f.read())
    else:
        print(report.table(results))
    print(f"JSON:   {paths['json']}\nreport: {paths['md']}\nplots:  {', '.join(paths['png'])}", file=sys.stderr)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
