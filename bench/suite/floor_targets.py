"""Issue 17's targets, each judged from this run's own figures as a ratio to what was measured
beside it (the bare ZeroMQ relay, the single client, memory mode, plaintext), with what stands in
the way of a missed one. The reasons come from the hop breakdown (bench/cluster/hops.sh, in
bench/README.md "Where a round trip's time goes") and from the figures of the same run; a
target that was not run in this run has no row."""

# Where the breakdown is read (bench/README.md); the report links to it.
BREAKDOWN = "bench/README.md, \"Where a round trip's time goes\""
WITHIN = 0.15  # CURVE and the event subscriber: within 15% of plain


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


class Target:
    def __init__(self, figure, now, target, ok, why=""):
        self.figure, self.now, self.target, self.ok, self.why = figure, now, target, ok, why

    def verdict(self):
        return "n/a" if self.ok is None else ("MET" if self.ok else "MISS")


def _round_trip(res, q, limit):
    ours, relay = _get(res, "shoal", "latency", f"{q}_us"), _get(res, "floor", f"{q}_us")
    if not ours or not relay:
        return None
    ratio = ours / relay
    why = ""
    if ratio > limit:
        why = (f"{limit}x is {limit * relay:,.0f} us here, {ours - limit * relay:,.0f} us away. The breakdown "
               f"({BREAKDOWN}) puts 86% of a round trip in its four network hops and about 8% in Shoal's own "
               f"work; beyond the relay's time per hop, each hop pays a hand-off between threads or a wake-up: "
               f"the worker's link thread (about 50 us a round trip), the client's caller <-> I/O thread "
               f"hand-offs (about 26 us), the receiving event loops' wake-ups (about 25 us a hop). It would take "
               f"the worker driving its socket from its task loop, a caller blocked on get() driving the socket "
               f"itself, and busy-polling receives")
        if q != "p50":
            why += "; the tail adds the waits of those threads for the machine's CPUs"
    return Target(f"round trip {q} / the relay's", f"{ratio:.2f}x ({ours:,.0f} / {relay:,.0f} us)",
                  f"<= {limit}x", ratio <= limit, why)


def _concurrent(rows, concurrent_why):
    """The latency16 row's own verdict (report.concurrent_rows), with its reading of a miss."""
    row = next((r for r in rows if r.figure.endswith("round trip p99 / one client's p99")), None)
    if row is None or row.values.get("shoal") is None:
        return None
    return Target("many clients' round trip p99 / one client's", f"{row.values['shoal']:.1f}x", row.target, row.ok,
                  "" if row.ok else (concurrent_why or "").rstrip("."))


def _cpu_per_task_us(res, usable):
    """The most CPU a no-op task can have cost the whole cluster in this run: the machine's CPUs
    over the best no-op rate (everything on one machine)."""
    cpus = _get(res, "meta", "cpus")
    runs = _get(res, "shoal", "throughput") or {}
    best = max((r["tasks_per_s"] for r in runs.values() if usable(r)), default=None)
    return cpus * 1e6 / best if cpus and best else None


def _slot_time_lost_us(metg, metg_us):
    """Per task, the workers' slot time beyond the task's own duration, at the sweep's points
    near its METG (down to half of it): workers x wall - tasks x d, over the tasks."""
    workers = (metg or {}).get("workers") or 1
    return [(workers * p["wall_s"] - p["tasks"] * p["task_s"]) / p["tasks"] * 1e6
            for p in (metg or {}).get("points") or []
            if p.get("tasks") and p["task_s"] <= 0.01 and p["task_s"] * 1e6 >= metg_us / 2]


def _metg(res, metg_of, usable):
    metg = _get(res, "shoal", "metg")
    m = metg_of(_get(metg, "points"))
    if not m:
        return None
    us = m * 1e6
    why = ""
    if us > 50:
        workers = (metg or {}).get("workers") or 2
        lost = _slot_time_lost_us(metg, us)
        cpus = _get(res, "meta", "cpus")
        why = "each task cost the workers' slots "
        why += (f"{min(lost):,.0f}-{max(lost):,.0f} us beyond its own duration (this run's points near the METG: "
                f"workers x wall - tasks x d, over the tasks)" if lost else "a fixed time beyond its own duration")
        cpu = _cpu_per_task_us(res, usable)
        if cpu:
            why += f", where the whole cluster spent at most {cpu:.1f} us of CPU per no-op task at full throughput"
        why += (f". The {workers} workers' compute threads spin on all {cpus or '?'} CPUs, so every hand-off that "
                f"moves the next task (the broker's threads, each worker's loop, link and pool threads) waits "
                f"for the scheduler to take a CPU from a spinning task")
        one = _get(metg, "one_worker")
        one_metg = metg_of(_get(one, "points"))
        if one_metg:
            one_lost = _slot_time_lost_us(one, one_metg * 1e6)
            why += (f". With one worker, which leaves a CPU to those threads, the same sweep's METG was "
                    f"{one_metg * 1e6:,.0f} us")
            if one_lost:
                why += f" and each task cost its slot {min(one_lost):,.0f}-{max(one_lost):,.0f} us"
        why += (". It would take CPUs for the broker and the workers' own threads apart from the ones the tasks "
                "compute on (Task Bench runs its scheduler on cores of its own), and fewer hand-offs in the "
                "worker (its link thread, the pool hop)")
    return Target("METG(50%), 2 workers", f"{us:,.0f} us", "<= 50 us", us <= 50, why)


def _durable(res):
    durable, memory = _get(res, "shoal", "durable", "everysec", "tasks_per_s"), \
        _get(res, "shoal", "durable", "memory", "tasks_per_s")
    if not durable or not memory:
        return None
    share = durable / memory
    ok = durable >= 100_000 and share >= 0.5
    why = ""
    if not ok:
        why = ("the broker's writes are pipelined (one round trip to Redis per wake-up of its loop, whatever it "
               "wrote), so what limits it is CPU, on the 2 CPUs that Redis, the broker, the client and the two "
               "workers share")
        redis_cpu = _get(res, "shoal", "durable", "everysec", "redis_cpu_us_per_task")
        broker_cpu = _get(res, "shoal", "durable", "everysec", "broker_cpu_us_per_task")
        if redis_cpu and broker_cpu:
            cpus = _get(res, "meta", "cpus") or 2
            why += (f": per task Redis spent {redis_cpu:.1f} us of CPU and the broker {broker_cpu:.1f} us in this run "
                    f"(memory mode: at most {cpus * 1e6 / memory:.1f} us per task for everything)")
        why += (". It would take fewer Redis commands per task (the task, its lease and its result each write "
                "now) or a Redis on a CPU of its own")
    return Target("durable (everysec) tasks/s, and / memory mode", f"{durable:,.0f}/s, {share:.2f}x",
                  ">= 100,000/s and >= 0.5x", ok, why)


def _throughput(res, usable):
    relay = _get(res, "floor", "messages_per_s")
    runs = _get(res, "shoal", "throughput") or {}
    best = max(((int(n), r["tasks_per_s"]) for n, r in runs.items() if usable(r)), default=None)
    if not relay or not best:
        return None
    n, tasks_per_s = best
    ratio = tasks_per_s / relay
    why = ""
    if ratio < 1.0:
        cpu = _cpu_per_task_us(res, usable)
        why = (f"at {n:,} tasks (the issue's figure is 1,000,000; the run's largest size is used). The relay moves "
               f"one empty message per task through three processes; Shoal's tasks cross the same processes in "
               f"batches, but each is also encoded, admitted, queued, dispatched with credit, run, reported and "
               f"answered")
        if cpu:
            why += f": {cpu:.1f} us of CPU per task over client, broker and two workers, the machine's CPUs being full"
        why += (". It would take less CPU per task in the broker and the worker, or CPUs that the client and the "
                "workers do not share with the broker")
    return Target("no-op tasks/s / the relay's messages/s", f"{ratio:.2f}x ({tasks_per_s:,.0f} / {relay:,.0f})",
                  ">= 1.0x", ratio >= 1.0, why)


def _security_and_events(res):
    c, ev = _get(res, "shoal", "curve"), _get(res, "shoal", "events")
    changes = []  # (what, change on / plain - 1, how much worse: the change against the figure's grain)
    for name, plain, on, higher in (
            ("CURVE tasks/s", _get(c, "plain", "tasks_per_s"), _get(c, "curve", "tasks_per_s"), True),
            ("CURVE p50", _get(c, "plain", "p50_us"), _get(c, "curve", "p50_us"), False),
            ("a subscriber's tasks/s", _get(ev, "none", "tasks_per_s"), _get(ev, "subscribed", "tasks_per_s"), True)):
        if plain and on:
            change = on / plain - 1
            changes.append((name, change, -change if higher else change))
    if not changes:
        return None
    ok = all(worse <= WITHIN for _, _, worse in changes)
    now = ", ".join(f"{name} {change * 100:+.0f}%" for name, change, _ in changes)
    why = ""
    if not ok:
        parts = []
        bad = [name for name, _, worse in changes if worse > WITHIN]
        if "CURVE p50" in bad or "CURVE tasks/s" in bad:
            parts.append("CURVE encrypts and authenticates every message on each of the round trip's four hops, "
                         "which batching cannot spread over a lone task")
        if "a subscriber's tasks/s" in bad:
            parts.append("the broker builds each task's events (Celery's fields, as maps) on its loop thread, the "
                         "CPU that admits and dispatches; they already go out in batches, one per pass")
        parts.append("it would take cheaper events (a fixed layout, built off the loop) and, for CURVE, a CPU to "
                     "spare for the encryption")
        text = "; ".join(parts)
        why = ("measured one at a time (plain beside CURVE, nobody beside one subscriber), so both on is at "
               "least the worse of them. " + text[0].upper() + text[1:])
    return Target("with CURVE / an event subscriber, against plain", now, f"within {WITHIN * 100:.0f}% each", ok,
                  why)


def targets(res, rows, concurrent_why, metg_of, usable):
    """Every issue-17 target this run has the figures for, in the issue's order."""
    found = [_round_trip(res, "p50", 1.3), _round_trip(res, "p99", 2.0), _concurrent(rows, concurrent_why),
             _metg(res, metg_of, usable), _durable(res), _throughput(res, usable), _security_and_events(res)]
    return [t for t in found if t is not None]


def markdown(found):
    if not found:
        return ""
    out = ("\nIssue 17's targets, against what was measured beside them in this run (why a miss stands, from "
           f"the run's figures and the hop breakdown in {BREAKDOWN}):\n\n"
           "| target | this run | target | result |\n|---|---|---|---|\n")
    for t in found:
        out += f"| {t.figure} | {t.now} | {t.target} | {t.verdict()} |\n"
    whys = [f"- {t.figure}: {t.why}." for t in found if t.why]
    if whys:
        out += "\nWhat stands in the way of each miss, and what it would take:\n" + "\n".join(whys) + "\n"
    return out
