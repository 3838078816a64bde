"""The run's results as a table (stdout and the Markdown report), JSON, and PNG plots drawn with
matplotlib (Debian's python3-matplotlib). Every figure is printed with Shoal's ratio to each
peer, oriented so that "12x" always means Shoal is 12 times better."""

import copy
import datetime
import json
import math
import os
import sys

# The one METG of the repository: bench/peers/peer_common.py (the peers compute it with it too).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from peer_common import metg_of  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floor_targets  # noqa: E402

PEERS = ["celery", "dask", "rq"]
NAMES = {"shoal": "Shoal", "celery": "Celery", "dask": "Dask", "rq": "RQ"}


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d or d[k] is None:
            return None
        d = d[k]
    return d


def usable(r):
    """A measurement that finished and lost nothing."""
    return isinstance(r, dict) and r.get("complete", True) and not r.get("failed") and "skipped" not in r


def best_of(runs, key, higher):
    """The best value of `key` over a peer's configurations (pools), and which one it was."""
    found = [(r[key], pool) for pool, r in (runs or {}).items() if usable(r) and r.get(key) is not None]
    if not found:
        return None, None
    return (max if higher else min)(found)


class Row:
    def __init__(self, figure, unit, higher, values, target="", ok=None, note=""):
        self.figure, self.unit, self.higher = figure, unit, higher
        self.values = values  # system -> number or None
        self.target, self.ok, self.note = target, ok, note

    def ratio(self, peer):
        s, p = self.values.get("shoal"), self.values.get(peer)
        if not s or not p:
            return None
        return s / p if self.higher else p / s


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "tasks/s" or unit == "msg/s":
        return f"{v:,.0f}"
    if unit == "us":
        return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
    if unit == "s":
        return f"{v:.3f}" if v < 10 else f"{v:,.1f}"
    if unit == "B":
        return f"{v:,.0f}"
    if unit == "x":
        return f"{v:.2f}"
    return f"{v:.3g}"


def rows_of(res):
    """Every figure of the run; a figure that was not run (bench/run --only) has no row."""
    return [r for r in _all_rows(res) if any(v is not None for v in r.values.values())]


def _all_rows(res):
    rows = []
    shoal = res.get("shoal", {})
    peers = [p for p in PEERS if p in res]

    # 1. throughput
    for n in sorted(int(k) for k in get(shoal, "throughput") or {}):
        vals = {"shoal": get(shoal, "throughput", str(n), "tasks_per_s")}
        notes = []
        for p in peers:
            vals[p], said = peer_throughput(get(res[p], "throughput"), p, n)
            notes += said
        runs = get(shoal, "throughput", str(n), "runs")
        if runs:
            notes.insert(0, "Shoal: median of " + ", ".join(f"{r['tasks_per_s']:,.0f}" for r in runs))
        target, ok = "", None
        if n == 100_000:
            target = ">= 300,000/s and >= 200x Celery"
            ok = bool(vals["shoal"] and vals["shoal"] >= 300_000 and vals.get("celery")
                      and vals["shoal"] / vals["celery"] >= 200)
        rows.append(Row(f"no-op throughput, {n:,} tasks, 2 workers", "tasks/s", True, vals, target, ok, "; ".join(notes)))

    # 2. latency
    for q, target_x in (("p50", 4), ("p99", 10), ("p999", None)):
        vals = {"shoal": get(shoal, "latency", f"{q}_us")}
        for p in peers:
            vals[p], _ = best_of(get(res[p], "latency"), f"{q}_us", False)
        target = f">= {target_x}x below Celery" if target_x else ""
        ok = None
        if target_x:
            ok = bool(vals["shoal"] and vals.get("celery") and vals["celery"] / vals["shoal"] >= target_x)
        n = get(shoal, "latency", "round_trips")
        rows.append(Row(f"round trip {q} ({n:,} sequential)" if n else f"round trip {q}", "us", False, vals,
                        target, ok))

    # 2a. many clients at once, each doing sequential round trips (issue 17)
    rows += concurrent_rows(res)

    # 2b. the Python client (clients/python) against C++ workers and against Python workers
    rows += python_rows(res, peers)

    # 3. CPU-bound batch
    vals = {"shoal": get(shoal, "cpu", "speedup")}
    for p in peers:
        vals[p], _ = best_of(get(res[p], "cpu"), "speedup", True)
    ok = bool(vals["shoal"] and vals["shoal"] >= 1.9 and get(shoal, "cpu", "results_ok"))
    seq, rounds = get(shoal, "cpu", "sequential_s"), get(shoal, "cpu", "rounds")
    seed = get(shoal, "cpu_seed_size")
    note = ""
    if seq:
        note = (f"Shoal's tasks run the seed's loop {rounds} times over (C++ counts to 10^7 in milliseconds, "
                f"Python in about 0.4 s): {seq:.2f} s for the 10 one after another")
        if seed:
            note += (f"; at the seed's own size ({seed['sequential_s'] * 100:.1f} ms a task) the speedup was "
                     f"{seed['speedup']:.2f}x, overheads and noise deciding it")
    rows.append(Row("count example: speedup, 2 workers vs sequential", "x", True, vals, ">= 1.9x", ok, note))

    # 4. C10K
    vals = {"shoal": get(shoal, "c10k", "wall_s")}
    notes = []
    for p in peers:
        r = get(res[p], "c10k")
        vals[p] = r.get("wall_s") if usable(r) and r.get("tasks") == get(shoal, "c10k", "tasks") else None
        if isinstance(r, dict):
            if r.get("wall_s") is None and r.get("projected_s"):
                notes.append(f"{NAMES[p]}: cannot overlap them, projected {r['projected_s']:,.0f} s")
            elif usable(r) and r.get("tasks") != get(shoal, "c10k", "tasks"):
                notes.append(f"{NAMES[p]}: {r.get('tasks'):,} tasks in {r.get('wall_s', 0):.2f} s")
    ok = bool(vals["shoal"] and vals["shoal"] <= 1.1)
    n = get(shoal, "c10k", "tasks")
    rows.append(Row(f"C10K: {n or 10_000:,} tasks sleeping 1 s at once, wall", "s", False, vals, "<= 1.1 s", ok,
                    "; ".join(notes)))

    # 5. scaling
    for w in sorted({int(k) for k in get(shoal, "scaling", "loopback") or {}}):
        vals = {"shoal": get(shoal, "scaling", "loopback", str(w), "tasks_per_s")}
        for p in peers:
            r = get(res[p], "scaling", str(w))
            vals[p] = r.get("tasks_per_s") if usable(r) else None
        n = get(shoal, "scaling", "loopback", str(w), "tasks")
        rows.append(Row(f"scaling: {w} worker process(es), {n or 0:,} no-op tasks", "tasks/s", True, vals))
        net = get(shoal, "scaling", "netns", str(w), "tasks_per_s")
        if net:
            rows.append(Row(f"scaling: {w} worker(s), each in its own network namespace", "tasks/s", True,
                            {"shoal": net}))

    # 6. durable mode
    for mode in ("memory", "everysec", "always", "everysec_lease"):
        r = get(shoal, "durable", mode)
        if not r:
            continue
        vals = {"shoal": r.get("tasks_per_s")}
        for p in ("celery", "rq"):
            if p in peers:
                vals[p], _ = best_of({k: v.get(str(FIRST_PEER_N(res, p))) for k, v in (get(res[p], "throughput") or {}).items()},
                                     "tasks_per_s", True)
        label = {"memory": "in memory (no Redis)", "everysec": "Redis, appendfsync everysec",
                 "always": "Redis, appendfsync always",
                 "everysec_lease": "Redis, appendfsync everysec, active broker with a lease (writes fenced)"}[mode]
        target, ok = "", None
        if mode != "memory":
            target = ">= 50x Celery"
            ok = bool(vals["shoal"] and vals.get("celery") and vals["shoal"] / vals["celery"] >= 50)
        rows.append(Row(f"durable: {label}, {r.get('tasks', 0):,} tasks", "tasks/s", True, vals, target, ok,
                        "peers: their best no-op throughput (Celery and RQ keep tasks in Redis too)" if mode != "memory" else ""))

    # 6b. encryption: the same cluster with CURVE keys (SECURITY.md) beside plaintext
    c = get(shoal, "curve")
    if c:
        for key, label, unit, higher in (("tasks_per_s", f"no-op throughput, {c.get('tasks', 0):,} tasks", "tasks/s", True),
                                          ("p50_us", f"round trip p50 ({c.get('round_trips', 0):,} sequential)", "us", False),
                                          ("p99_us", f"round trip p99 ({c.get('round_trips', 0):,} sequential)", "us", False)):
            plain, curve = get(c, "plain", key), get(c, "curve", key)
            note = ""
            if plain and curve:
                change = (curve / plain - 1) * 100
                note = f"plaintext {plain:,.0f} {unit} in the same run: CURVE {change:+.1f}%"
            rows.append(Row(f"with CURVE: {label}", unit, higher, {"shoal": curve}, "", None, note))

    # 6c. the event stream: one subscriber (`shoal events --json`) beside none
    ev = get(shoal, "events")
    if ev:
        none, sub = get(ev, "none", "tasks_per_s"), get(ev, "subscribed", "tasks_per_s")
        note = ""
        if none and sub:
            note = (f"nobody subscribed: {none:,.0f} tasks/s in the same run: {(sub / none - 1) * 100:+.1f}%; "
                    f"events told {get(ev, 'subscribed', 'events_published_max') or 0:,}, "
                    f"dropped for the subscriber {get(ev, 'subscribed', 'events_dropped_max') or 0:,}")
        rows.append(Row(f"with an event subscriber: no-op throughput, {ev.get('tasks', 0):,} tasks", "tasks/s",
                        True, {"shoal": sub}, "", None, note))

    # 7. memory
    q = get(shoal, "memory", "queued")
    if q or any(get(res[p], "queued_memory") for p in peers):
        vals = {"shoal": get(q, "bytes_per_task")}
        notes = [f"Shoal: {get(q, 'tasks') or 0:,} queued, RSS {get(q, 'rss_after_kb') or 0:,} KiB"] if q else []
        for p in peers:
            r = get(res[p], "queued_memory")
            vals[p] = r.get("bytes_per_task") if usable(r) else None
            if usable(r):
                notes.append(f"{NAMES[p]}: {r.get('tasks', 0):,} in {r.get('where', '?').split('(')[0].strip()}")
        rows.append(Row("memory per queued task", "B", False, vals, "", None, "; ".join(notes)))
    i = get(shoal, "memory", "inflight")
    if i:
        rows.append(Row(f"worker memory per in-flight coroutine task ({i.get('active', 0):,} running)", "B", False,
                        {"shoal": i.get("bytes_per_task")}, "", None,
                        f"worker RSS {i.get('rss_before_kb', 0):,} -> {i.get('rss_after_kb', 0):,} KiB; peers: no "
                        "comparable coroutine worker (see C10K)"))

    # 8. METG
    vals = {"shoal": metg_of(get(shoal, "metg", "points"))}
    for p in peers:
        found = [metg_of(r.get("points")) for r in (get(res[p], "metg") or {}).values() if isinstance(r, dict)]
        found = [f for f in found if f]
        vals[p] = min(found) if found else None
    vals = {k: (v * 1e6 if v else None) for k, v in vals.items()}
    rows.append(Row("METG(50%): smallest task at 50% efficiency, 2 workers", "us", False, vals))

    # 9. DAG: a tree reduction submitted whole, each sum's arguments its two inputs' results
    d = get(shoal, "dag")
    peer_dag = {p: get(res[p], "dag") for p in peers}
    if d or any(peer_dag.values()):
        vals = {"shoal": get(d, "tasks_per_s") if usable(d) and get(d, "root_ok") else None}
        notes = []
        if d:
            median = ""
            if d.get("runs"):
                median = " (median of " + ", ".join(f"{r['tasks_per_s']:,.0f}" for r in d["runs"]) + " tasks/s)"
            notes.append(f"Shoal: {get(d, 'tasks') or 0:,} tasks ({get(d, 'leaves') or 0:,} leaves, "
                         f"{get(d, 'levels') or 0} levels) in {get(d, 'seconds') or 0:.2f} s{median}, submitted in "
                         f"{get(d, 'submit_s') or 0:.2f} s, root {'right' if get(d, 'root_ok') else 'WRONG'}")
        for p in peers:
            runs = {pool: r for pool, r in (peer_dag[p] or {}).items() if usable(r) and r.get("root_ok")}
            vals[p], pool = best_of(runs, "tasks_per_s", True)
            if pool:
                r = runs[pool]
                how = {"dask": f"dask.delayed, {get(r, 'config', 'graph') or 'flat'} graph",
                       "celery": "chord of chords"}.get(p, "")
                smaller = ""
                if get(d, "tasks") and r["tasks"] < get(d, "tasks"):
                    smaller = (" (a smaller tree than Shoal's, " + ("quick sizes" if res["meta"].get("quick") else
                               "as Shoal's would not end within the peer's time limit") + "; tasks/s compared)")
                notes.append(f"{NAMES[p]} ({how}{'' if pool == 'default' else ', ' + pool}): {r['tasks']:,} tasks "
                             f"({r['leaves']:,} leaves) in {r['seconds']:.2f} s{smaller}")
            notes += [f"{NAMES[p]} ({pool}): {r.get('note') or 'root wrong'}" for pool, r in (peer_dag[p] or {}).items()
                      if isinstance(r, dict) and not (usable(r) and r.get("root_ok"))]
        n = get(d, "tasks")
        label = f"{n:,} tasks" if n else "tree"
        rows.append(Row(f"DAG: tree reduction ({label}, pairwise sums), futures as arguments, 2 workers", "tasks/s",
                        True, vals, "", None, "; ".join(notes)))

    # 10. failover (issue 20): two brokers with a lease, the active one killed or paused; and the
    # Redis primary killed under a broker on Redis Sentinel
    rows += failover_rows(res)
    return rows


FAILOVERS = {"kill": "the active broker killed (SIGKILL)",
             "pause": "the active broker paused (SIGSTOP, as if cut off), woken 3 lease times later",
             "redis-primary": "the Redis primary killed (SIGKILL), Sentinel promotes a replica"}


def failover_rows(res):
    """How long the stream of tasks stopped when a part of the cluster failed, judged as the
    issue says: for a broker, the standby holds the lease within 2x its time and nothing is
    lost; for the Redis primary, nothing is lost."""
    rows = []
    for kind, label in FAILOVERS.items():
        r = get(res, "shoal", "failover", kind)
        if not isinstance(r, dict) or "tasks" not in r:
            continue
        if kind == "redis-primary":
            rows.append(redis_primary_row(r, label))
            continue
        lease_s = r["lease_ms"] / 1000
        took = r.get("lease_taken_s")
        ok = took is not None and took <= 2 * lease_s and r.get("lost") == 0
        note = (f"lease {r['lease_ms']:,} ms; the standby held it "
                + (f"{took:.2f} s after" if took is not None else "never")
                + f"; {r['tasks']:,} tasks in the stream (Python client, both brokers listed), {r.get('lost')} lost; "
                "clients and workers leave a silent broker after the default heartbeat x liveness (1 s x 3)")
        rows.append(Row(f"failover: {label}: tasks run again after", "s", False, {"shoal": r.get("recovery_s")},
                        "lease taken <= 2x its time, nothing lost", ok, note))
    return rows


def redis_primary_row(r, label):
    """The Redis primary's failover: nothing accepted lost is the target (and the stream ran
    again: a broker that never took tasks again loses none, but does not pass). Tasks the broker
    refused `unavailable` while there was no primary were never accepted (the client raises
    them to its caller, who may send them again); they are counted in the note, not lost."""
    promoted = r.get("promoted_s")
    refused = r.get("refused") or 0
    until = r.get("refused_until_s")
    note = ("the sentinels named another primary " + (f"{promoted:.2f} s after" if promoted is not None else "never")
            + f" (down-after {r.get('down_after_ms', 0):,} ms, quorum 2 of 3); "
            + ("WAIT for 1 replica after each write (--redis-wait-replicas 1)" if r.get("wait_replicas")
               else "no WAIT (the broker has no --redis-wait-replicas)")
            + f"; {r['tasks']:,} tasks in the stream (Python client, one broker), {r.get('lost')} lost, "
            + f"{refused:,} refused `unavailable` while no primary took writes"
            + (f" (the last {until:.2f} s after)" if refused and until is not None else "")
            + ", raised to the client's caller, not sent again")
    return Row(f"failover: {label}: tasks run again after", "s", False, {"shoal": r.get("recovery_s")},
               "nothing lost", r.get("lost") == 0 and r.get("recovery_s") is not None, note)


def peer_throughput(runs, peer, n):
    """A peer's best no-op throughput over its pools at n tasks, or else at its largest size
    that counted; and the notes that say which pool, which size, and what was not run."""
    runs = runs or {}
    sizes = sorted({int(k) for r in runs.values() for k, v in r.items() if usable(v)})
    at = n if n in sizes else (sizes[-1] if sizes else n)
    per_pool = {pool: r.get(str(at)) for pool, r in runs.items()}
    value, pool = best_of(per_pool, "tasks_per_s", True)
    notes = []
    if pool and pool != "default":
        notes.append(f"{NAMES[peer]}'s best: {pool}")
    notes += [f"{NAMES[peer]} ({pool}) ran {r['tasks']:,} tasks" for pool, r in per_pool.items()
              if usable(r) and r.get("tasks") != n]
    notes += [f"{NAMES[peer]} ({pool}) not run: {r['skipped']}" for pool, r in
              ((pool, r.get(str(n))) for pool, r in runs.items()) if isinstance(r, dict) and "skipped" in r]
    return value, notes


PYTHON_WORKERS = {"cpp": "C++ workers", "python": "Python workers"}


def peer_runs_beside_python(res, peer, figure):
    """The peer's runs the `python` figure compares with: those made for it (the run had no
    `figure` of its own), else the `figure`'s (throughput or latency) of the same run."""
    own = get(res[peer], "python", figure)
    return (own, "run beside it") if own else (get(res[peer], figure), f"its {figure} figure's runs")


def cpp_client_throughput(shoal, n):
    """The C++ client's no-op throughput in the same run (the throughput figure) at n tasks, or
    else at the size nearest to n: (size, tasks/s), or (None, None)."""
    found = [(int(k), r["tasks_per_s"]) for k, r in (get(shoal, "throughput") or {}).items() if usable(r)]
    if not found:
        return None, None
    return min(found, key=lambda f: (abs(math.log(f[0] / n)) if n else 0, f[0]))


def python_rows(res, peers):
    """The `python` figure: the Python client's no-op throughput and round trips, each beside
    the peers' own in the same run (their best pool) and beside the C++ client's where the run
    has them."""
    rows = []
    shoal = res.get("shoal", {})
    for kind, label in PYTHON_WORKERS.items():
        fig = get(shoal, "python", kind)
        if not fig:
            continue
        thr, lat = get(fig, "throughput"), get(fig, "latency")
        n = get(thr, "tasks") or 0
        vals = {"shoal": get(thr, "tasks_per_s") if usable(thr) else None}
        notes = []
        if thr and thr.get("runs"):
            notes.append("Shoal: median of " + ", ".join(f"{r['tasks_per_s']:,.0f}" for r in thr["runs"]) +
                         f"; submitting took {thr.get('submit_s', 0):.2f} s, the client's CPU "
                         f"{thr.get('client_cpu_s', 0):.2f} s")
        at, cpp = cpp_client_throughput(shoal, n) if kind == "cpp" else (None, None)
        if cpp:
            notes.append(f"the C++ client in this run: {cpp:,.0f} tasks/s" + (f" ({at:,} tasks)" if at != n else ""))
        for p in peers:
            runs, source = peer_runs_beside_python(res, p, "throughput")
            vals[p], said = peer_throughput(runs, p, n)
            if vals[p]:
                notes.append(f"{NAMES[p]}: {source}")
            notes += said
        rows.append(Row(f"Python client -> {label}: no-op throughput, {n:,} tasks, 2 workers", "tasks/s", True,
                        vals, "", None, "; ".join(notes)))
        for q in ("p50", "p99"):
            vals = {"shoal": get(lat, f"{q}_us")}
            notes = []
            cpp = get(shoal, "latency", f"{q}_us") if kind == "cpp" else None
            if cpp:
                notes.append(f"the C++ client in this run: {cpp:,.0f} us")
            for p in peers:
                runs, source = peer_runs_beside_python(res, p, "latency")
                vals[p], pool = best_of(runs, f"{q}_us", False)
                if pool:
                    notes.append(f"{NAMES[p]}: {source}" + ("" if pool == "default" else f", best {pool}"))
            m = get(lat, "round_trips")
            rows.append(Row(f"Python client -> {label}: round trip {q}" + (f" ({m:,} sequential)" if m else ""),
                            "us", False, vals, "", None, "; ".join(notes)))
    return rows


CONCURRENT_TARGET_X = 3  # issue 17: p99 with 16 clients at once <= 3x the single client's
# One client's p99 beyond this many times its p50 says its run was disturbed (on the 2-core VM,
# undisturbed: 1.3-1.6x; under another's load 2.5-9x): the ratio over it is then said to flatter.
SINGLE_TAIL_DISTURBED = 2.0


def single_client(shoal):
    """The single client's round trips the latency16 figure is compared with, and where they come
    from: one client alone in latency16's own cluster (a run without the latency figure), else
    the latency figure's run. (None, None) when there are none."""
    own = get(shoal, "latency16", "single")
    if isinstance(own, dict) and own.get("p99_us"):
        return own, "one client alone, first, in the same cluster"
    lat = get(shoal, "latency")
    if isinstance(lat, dict) and lat.get("p99_us"):
        return lat, "the latency figure's run"
    return None, None


def concurrent_label(c):
    k, n = c.get("clients") or 0, c.get("round_trips") or 0
    return f"{k} clients at once", f"{k} x {n:,} sequential, pooled"


def concurrent_rows(res):
    """The latency16 figure: p50/p99/p999 of the round trips of many clients at once (every
    client's samples pooled), and its p99 over the single client's of the same run, judged
    against <= 3x."""
    shoal = res.get("shoal", {})
    c = get(shoal, "latency16")
    if not isinstance(c, dict) or not c.get("p99_us"):
        return []
    who, size = concurrent_label(c)
    single, source = single_client(shoal)
    rows = []
    for q in ("p50", "p99", "p999"):
        notes = []
        one = get(single, f"{q}_us")
        if one:
            notes.append(f"one client: {one:,.0f} us ({source}), {c[f'{q}_us'] / one:.2f}x")
        if q == "p99" and c.get("client_p99_us"):
            notes.append(f"each client's own p99: {min(c['client_p99_us']):,.0f} to {max(c['client_p99_us']):,.0f} us")
        rows.append(Row(f"{who}: round trip {q} ({size})", "us", False, {"shoal": c[f"{q}_us"]}, "", None,
                        "; ".join(notes)))
    one = get(single, "p99_us")
    ratio = c["p99_us"] / one if one else None
    note = ""
    if ratio:
        note = f"{c['p99_us']:,.0f} us over one client's {one:,.0f} us ({source})"
        if c.get("worker_args"):
            note += f"; 2 workers, each {' '.join(c['worker_args'])}"
        one_p50 = get(single, "p50_us")
        if one_p50 and one / one_p50 > SINGLE_TAIL_DISTURBED:
            note += (f"; one client's p99 was {one / one_p50:.1f}x its p50 (undisturbed runs here: 1.3-1.6x): "
                     f"that run was disturbed (the machine's load), and the ratio flatters")
    rows.append(Row(f"{who}: round trip p99 / one client's p99", "x", False, {"shoal": ratio},
                    f"<= {CONCURRENT_TARGET_X}x the single-client p99",
                    None if ratio is None else ratio <= CONCURRENT_TARGET_X, note))
    return rows


def concurrent_miss_explained(res, rows):
    """What the latency16 run says about a missed <= 3x: the cluster's rate of round trips while
    the clients ran, where the CPU went per round trip, and the mean that CPU alone allows with
    k round trips in flight on the machine's CPUs (rate <= CPUs / CPU per round trip, so by
    Little's law mean >= k x CPU per round trip / CPUs)."""
    shoal = res.get("shoal", {})
    c = get(shoal, "latency16")
    row = next((r for r in rows if r.figure.endswith("/ one client's p99")), None)
    if not row or row.ok is not False or not isinstance(c, dict) or not c.get("round_trips_per_s"):
        return None
    k, rate = c.get("clients") or 0, c["round_trips_per_s"]
    single, _ = single_client(shoal)
    text = f"{k} clients at once: the cluster did {rate:,.0f} round trips/s while they ran (each client's rate, summed)"
    if c.get("mean_us"):
        text += f", their mean round trip {c['mean_us']:,.0f} us"
    if get(single, "p50_us"):
        text += f" (one client's p50: {single['p50_us']:,.0f} us)"
    cpu = c.get("cpu_us_per_round_trip") or {}
    cpus = res.get("meta", {}).get("cpus") or 0
    if not cpu:
        return text + "."
    total = sum(cpu.values())
    text += (f". CPU per round trip, in the middle of the run: the clients {cpu.get('clients', 0):,.0f} us, the broker "
             f"{cpu.get('broker', 0):,.0f} us, the workers {cpu.get('workers', 0):,.0f} us: {total:,.0f} us, "
             f"{total * rate / 1e6:.2f} CPUs at that rate")
    if cpus:
        text += f" of the machine's {cpus}"
    if c.get("machine_busy") is not None:
        text += f", which was {c['machine_busy']:.0%} busy (everything on it, not only this run)"
    if cpus and get(single, "p99_us"):
        floor = k * total / cpus
        budget = CONCURRENT_TARGET_X * single["p99_us"] * cpus / k
        text += (f". At that CPU per round trip, {k} in flight on {cpus} CPUs take at least {k} x {total:,.0f} / {cpus} = "
                 f"{floor:,.0f} us on average, {floor / single['p99_us']:.1f}x one client's p99, whatever the "
                 f"scheduling")
        if floor / single["p99_us"] >= CONCURRENT_TARGET_X:
            text += (f": {CONCURRENT_TARGET_X}x needs under {budget:,.0f} us of CPU per round trip (client, broker and "
                     f"worker together) on this machine")
        else:
            text += (f"; the rest is waiting for a CPU ({k} clients' threads, the broker's and the workers' on {cpus} "
                     f"CPUs), and the single client's p99 moves with the machine's load from run to run")
    return text + "."


def FIRST_PEER_N(res, peer):
    runs = get(res[peer], "throughput") or {}
    sizes = sorted({int(k) for r in runs.values() for k in r})
    return sizes[0] if sizes else 0


def floor_rows(res):
    f = res.get("floor") or {}
    shoal = res.get("shoal", {})
    rows = []
    if f.get("messages_per_s"):
        thr = get(shoal, "throughput")
        n, s = max(((int(k), v["tasks_per_s"]) for k, v in (thr or {}).items() if usable(v)), default=(0, None))
        rows.append(("no-op throughput vs relay messages/s", s, f["messages_per_s"], "msg/s",
                     f"{s / f['messages_per_s']:.2f}" if s else "n/a",
                     f"Shoal at {n:,} tasks; the relay sends one message per task, Shoal batches tasks into messages"))
    for q in ("p50", "p99", "p999"):
        s = get(shoal, "latency", f"{q}_us")
        if f.get(f"{q}_us"):
            rows.append((f"round trip {q}", s, f[f"{q}_us"], "us", f"{f[f'{q}_us'] / s:.2f}" if s else "n/a",
                         "fraction = relay / Shoal (1.0 = as fast as the bare transport)"))
    return rows


def misses_explained(res, rows):
    """What the run itself says about each missed target: the transport's floor, measured beside."""
    out = []
    floor = res.get("floor") or {}
    shoal = res.get("shoal", {})
    missed = {r.figure.split(" (")[0].split(",")[0]: r for r in rows if r.ok is False}
    celery_p50 = next((r.values.get("celery") for r in rows if r.figure.startswith("round trip p50")), None)
    celery_p99 = next((r.values.get("celery") for r in rows if r.figure.startswith("round trip p99")), None)
    for q, target_x, celery in (("p50", 4, celery_p50), ("p99", 10, celery_p99)):
        row = missed.get(f"round trip {q}")
        ours, bare = get(shoal, "latency", f"{q}_us"), floor.get(f"{q}_us")
        if not row or not ours or not bare or not celery:
            continue
        text = (f"Round trip {q}: the bare ZeroMQ relay (three processes, no protocol, no bookkeeping) took "
                f"{bare:,.0f} us in this run, {celery / bare:.1f}x below Celery, and Shoal {ours / bare:.2f}x the "
                f"relay's time. ")
        if celery / bare < target_x:
            text += (f"Even the bare transport misses {target_x}x here: this machine's wake-ups, not Shoal's work, "
                     f"set the floor.")
        else:
            text += (f"The transport allows {target_x}x here; Shoal's own hops (the caller hands the task to the "
                     f"client's I/O thread and is woken by it; broker and worker loops) cost the rest.")
        out.append(text)
    concurrent = concurrent_miss_explained(res, rows)
    if concurrent:
        out.append(concurrent)
    thr = [r for r in rows if r.figure.startswith("no-op throughput") and r.ok is False]
    if thr and floor.get("messages_per_s"):
        best = max((v["tasks_per_s"] for v in (get(shoal, "throughput") or {}).values() if usable(v)), default=0)
        out.append(f"Throughput: the best Shoal batch reached {best:,.0f} tasks/s; the bare relay moved "
                   f"{floor['messages_per_s']:,.0f} one-task messages/s through the same three hops. "
                   f"Client, broker and two workers share the machine's {res['meta'].get('cpus')} CPUs.")
    c = get(shoal, "c10k")
    if any(k.startswith("C10K") for k in missed) and c:
        small = get(shoal, "throughput", "10000", "seconds")
        out.append(f"C10K: {c['wall_s'] - c['sleep_s']:.3f} s beyond the 1 s sleep; a batch of 10,000 no-op tasks "
                   f"alone took {small:.3f} s in this run, so nearly all of it is moving the tasks there and back."
                   if small else f"C10K: {c['wall_s'] - c['sleep_s']:.3f} s beyond the 1 s sleep.")
    return out


def table(res):
    rows = rows_of(res)
    peers = [p for p in PEERS if p in res]
    head = ["figure", "unit", "Shoal"] + [NAMES[p] for p in peers] + [f"vs {NAMES[p]}" for p in peers] + ["target", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.figure, r.unit, fmt(r.values.get("shoal"), r.unit)]
        cells += [fmt(r.values.get(p), r.unit) for p in peers]
        cells += [f"{r.ratio(p):,.1f}x" if r.ratio(p) else "" for p in peers]
        cells += [r.target, "" if r.ok is None else ("PASS" if r.ok else "MISS")]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r.figure}: {r.note}" for r in rows if r.note]
    out = "\n".join(lines)
    out += "\n\nRatios read \"Shoal is N times better\" (higher throughput, or lower time and memory).\n"
    if notes:
        out += "\n" + "\n".join(notes) + "\n"
    why = misses_explained(res, rows)
    if why:
        out += "\nReading the misses, from this run's own figures:\n" + "\n".join(f"- {w}" for w in why) + "\n"
    fr = floor_rows(res)
    if fr:
        out += "\n| the floor: bare ZeroMQ relay | Shoal | relay | unit | Shoal as a fraction of the relay | how |\n|---|---|---|---|---|---|\n"
        for name, s, relay, unit, frac, how in fr:
            out += f"| {name} | {fmt(s, unit)} | {fmt(relay, unit)} | {unit} | {frac} | {how} |\n"
    out += floor_targets.markdown(floor_targets.targets(res, rows, concurrent_miss_explained(res, rows), metg_of,
                                                        usable))
    meta = res.get("meta", {})
    out += (f"\nRun {meta.get('date')} on {meta.get('host')} ({meta.get('cpus')} CPUs), "
            f"{'quick' if meta.get('quick') else 'full'} mode, {meta.get('seconds', 0):.0f} s; load average "
            f"{' '.join(meta.get('load_before', []))} before, {' '.join(meta.get('load_after', []))} after. "
            f"Peers: {', '.join(f'{k} {v}' for k, v in meta.get('versions', {}).items())}.\n")
    if res.get("errors"):
        out += "\nFailed measurements:\n" + "\n".join(f"- {e['what']}: {e['error']}" for e in res["errors"]) + "\n"
    return out


def samples(res):
    out = {}
    for system in ["shoal"] + PEERS:
        lat = get(res, system, "latency")
        if system == "shoal":
            if lat and lat.get("samples_us"):
                out["Shoal"] = lat["samples_us"]
            c = get(res, "shoal", "latency16")
            if get(c, "single", "samples_us"):
                out["Shoal, one client (" + concurrent_label(c)[0] + "'s cluster)"] = c["single"]["samples_us"]
            if get(c, "samples_us"):
                out["Shoal, " + concurrent_label(c)[0]] = c["samples_us"]
            for kind, label in PYTHON_WORKERS.items():
                xs = get(res, "shoal", "python", kind, "latency", "samples_us")
                if xs:
                    out[f"Shoal, Python client -> {label}"] = xs
            continue
        # A peer's round trips run beside the Python client (a run without the latency figure).
        lat = dict(get(res, system, "python", "latency") or {}, **(lat or {}))
        for pool, r in lat.items():
            if isinstance(r, dict) and r.get("samples_us"):
                out[NAMES[system] + ("" if pool == "default" else f" ({pool})")] = r["samples_us"]
    return out


def finish_plot(plt, fig, ax, title, path):
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plots(res, stem):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    # Throughput vs workers (not drawn when the scaling figure was not run).
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = 0
    series = {"Shoal": get(res, "shoal", "scaling", "loopback"),
              "Shoal (netns)": get(res, "shoal", "scaling", "netns")}
    for p in PEERS:
        s = get(res, p, "scaling")
        if s:
            series[f"{NAMES[p]} ({s.get('pool')})" if s.get("pool") else NAMES[p]] = {k: v for k, v in s.items() if k != "pool"}
    for name, s in series.items():
        pts = sorted((int(w), r["tasks_per_s"]) for w, r in (s or {}).items() if usable(r) and r.get("tasks_per_s"))
        if pts:
            ax.plot([w for w, _ in pts], [t for _, t in pts], marker="o", label=name)
            drawn += 1
    ax.set_xlabel("worker processes")
    ax.set_ylabel("no-op tasks/s")
    ax.set_yscale("log")
    ax.set_xticks([1, 2, 4])
    if drawn:
        made.append(finish_plot(plt, fig, ax, "Throughput vs workers", stem + "-throughput.png"))
    else:
        plt.close(fig)

    # Latency distribution: CDF of every round trip.
    data = samples(res)
    if data:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, xs in data.items():
            xs = sorted(xs)
            ax.plot(xs, [(i + 1) / len(xs) for i in range(len(xs))], label=f"{name} (n={len(xs):,})")
        ax.set_xscale("log")
        ax.set_xlabel("round trip (us), log scale")
        ax.set_ylabel("fraction of round trips")
        made.append(finish_plot(plt, fig, ax, "Round-trip latency distribution", stem + "-latency.png"))
    return made


def rewrite(json_path):
    """The Markdown report again from a run's JSON (the plots, drawn from samples the JSON does
    not keep, stay as they are): python3 bench/suite/report.py bench/results/<run>.json"""
    with open(json_path) as f:
        res = json.load(f)
    stem = json_path[:-len(".json")]
    pngs = [p for p in (stem + "-throughput.png", stem + "-latency.png") if os.path.exists(p)]
    write_markdown(res, stem, pngs)
    return stem + ".md"


def write_markdown(res, stem, pngs):
    with open(stem + ".md", "w") as f:
        f.write(f"# Shoal beside Celery, Dask and RQ: {res['meta']['date']}\n\n")
        f.write("Made by `bench/run" + (" --quick" if res["meta"].get("quick") else "") + "`; every figure below "
                "comes from this one run on this machine. The raw figures are in "
                f"`{os.path.basename(stem)}.json`.\n\n")
        f.write(table(res))
        for png in pngs:
            f.write(f"\n![{os.path.basename(png)}]({os.path.basename(png)})\n")


def write(res, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    when = datetime.datetime.fromisoformat(res["meta"]["date"])
    stem = os.path.join(out_dir, when.strftime("%Y-%m-%d-%H%M") + ("-quick" if res["meta"].get("quick") else ""))
    try:
        pngs = plots(res, stem)
    except Exception as e:  # a plot is not worth losing the run's figures for
        res.setdefault("errors", []).append({"what": "plots", "error": str(e)})
        pngs = []
    slim = copy.deepcopy(res)
    for system in ["shoal"] + PEERS:
        lat = get(slim, system, "latency")
        beside_python = get(slim, system, "python", "latency")
        if system == "shoal":
            found = [lat, get(slim, "shoal", "latency16"), get(slim, "shoal", "latency16", "single")]
            found += [get(slim, "shoal", "python", kind, "latency") for kind in PYTHON_WORKERS]
        else:
            found = list((lat or {}).values()) + list((beside_python or {}).values())
        for r in found:
            if isinstance(r, dict):
                r.pop("samples_us", None)
    with open(stem + ".json", "w") as f:
        json.dump(slim, f, indent=1)
    write_markdown(res, stem, pngs)
    return {"json": stem + ".json", "md": stem + ".md", "png": pngs}


if __name__ == "__main__":
    print(rewrite(sys.argv[1]))
