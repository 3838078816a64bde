"""What the three peers of bench/run (celery_peer.py, dask_peer.py, rq_peer.py) share: one copy
of each helper whose logic is the same for all of them. The contract they keep is in
bench/peers/README.md; how each one starts its workers, submits and waits stays in its script.

    log                    progress on stderr, "<peer>_peer [  elapsed s]: ..."
    Interrupted, install_signal_handlers, deferred_signals, begin_cleanup
                           SIGTERM/SIGINT/SIGHUP become an Interrupted exception (once; later
                           signals are ignored so that the bounded clean-up can finish), held
                           back inside deferred_signals (starting or stopping a worker)
    LimitReached, Deadline the --limit-s bound
    percentile             nearest rank
    DEFAULT_DURATIONS, metg_durations, metg_sweep_done, metg_of
                           the METG sweep and the contract's METG (bench/suite/report.py uses
                           metg_of too)
    build_parser, parse_args, check_loopback
                           the common options and subcommands, their checks
    new_output, finish_output, emit
                           the JSON object: "peer", "config", "complete", optional "note"
    stop_processes         stops processes each leading its own process group: SIGTERM by pid,
                           SIGKILL to the whole group after a grace
    child_pythonpath       PYTHONPATH for the processes a peer starts (bench/peers first)

Only the standard library is imported here (bench/suite/report.py imports this module).
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.parse

PEERS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
STOP_GRACE_S = 5.0      # SIGTERM -> SIGKILL
LATENCY_WARMUPS = 50    # latency: round trips before the counted ones
SUBCOMMANDS = ("throughput", "latency", "cpu", "c10k", "queued-memory", "metg")
DEFAULT_TASKS = {"throughput": 10000, "cpu": 10, "c10k": 10000, "queued-memory": 100000}
# metg: from 0.1 s down by about sqrt(10) per step to 0.0001 s.
DEFAULT_DURATIONS = [0.1, 0.0316, 0.01, 0.00316, 0.001, 0.000316, 0.0001]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# --- log ----------------------------------------------------------------------------------------

_log = {"name": "peer", "t0": time.monotonic()}


def set_log_name(name):
    _log["name"] = name


def log(*parts):
    print(f"{_log['name']} [{time.monotonic() - _log['t0']:7.2f} s]:", *parts, file=sys.stderr,
          flush=True)


# --- signals ------------------------------------------------------------------------------------

class Interrupted(BaseException):
    """A signal reached the peer. A BaseException, so that no `except Exception` eats it and
    every `finally` on the way out stops what was started."""

    def __init__(self, signum, why=None, exit_code=None):
        self.signum = signum
        self.why = why or f"stopped by {signal.Signals(signum).name}"
        self.exit_code = 128 + signum if exit_code is None else exit_code
        super().__init__(self.why)


# interrupted: a signal arrived (later ones are ignored); stopping: the clean-up has begun (no
# Interrupted any more, not even a pending one); depth: nesting of deferred_signals; pending:
# the Interrupted held back by deferred_signals, raised when the outermost one ends.
_signals = {"interrupted": False, "stopping": False, "depth": 0, "pending": None}


def interrupt(signum, why=None, exit_code=None):
    """Raise Interrupted, once: called from a signal handler. Inside deferred_signals it is held
    back until the block ends; after the first signal, or once the clean-up has begun, signals
    are ignored so that the clean-up (which is bounded) can finish."""
    if _signals["interrupted"] or _signals["stopping"]:
        try:
            log(f"signal {signum} ignored: already stopping (the clean-up is bounded)")
        except RuntimeError:  # a reentrant write to stderr: say nothing
            pass
        return
    _signals["interrupted"] = True
    if _signals["depth"] > 0:
        _signals["pending"] = Interrupted(signum, why, exit_code)
        return
    raise Interrupted(signum, why, exit_code)


def _on_signal(signum, _frame):
    interrupt(signum)


def install_signal_handlers(signums=(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)):
    # The handler stays installed (never SIG_IGN, never a blocked mask): both would be
    # inherited by the worker processes, which must still see their own SIGTERM.
    for signum in signums:
        signal.signal(signum, _on_signal)


class deferred_signals:
    """Within this block a SIGTERM/SIGINT is held back and raised as Interrupted at its end
    (around starting a worker and its bookkeeping, and around stopping workers)."""

    def __enter__(self):
        _signals["depth"] += 1
        return self

    def __exit__(self, *exc):
        _signals["depth"] -= 1
        if _signals["depth"] == 0 and _signals["pending"] is not None and not _signals["stopping"]:
            pending, _signals["pending"] = _signals["pending"], None
            raise pending
        return False


def begin_cleanup():
    """From here on signals are ignored: the final clean-up runs to its (bounded) end."""
    _signals["stopping"] = True


# --- the limit ----------------------------------------------------------------------------------

class LimitReached(Exception):
    """A bounded wait ran out of --limit-s."""


class Deadline:
    """`seconds` from its creation on (time.monotonic)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.monotonic()
        self.end = self.start + seconds

    def remaining(self):
        return self.end - time.monotonic()

    def expired(self):
        return self.remaining() <= 0

    def left(self):
        """The seconds left; raises LimitReached when there are none."""
        left = self.remaining()
        if left <= 0:
            raise LimitReached(f"--limit-s {self.seconds:g} reached")
        return left

    def capped(self, seconds):
        """A deadline that ends `seconds` from now, or at this one if that is sooner."""
        return Deadline(min(seconds, self.remaining()))


# --- figures ------------------------------------------------------------------------------------

def percentile(sorted_samples, q):
    """Nearest rank: the ceil(q * n)-th smallest sample (None if there is none)."""
    if not sorted_samples:
        return None
    rank = max(1, math.ceil(q * len(sorted_samples)))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


def metg_durations(text):
    """--durations "0.1,0.03,..." (in the order given), or the default sweep."""
    if not text:
        return list(DEFAULT_DURATIONS)
    return [float(x) for x in text.split(",") if x.strip()]


def metg_sweep_done(points):
    """The contract's stop rule, checked before each next duration: the sweep ends two points
    after the first point whose efficiency is below 0.5 (points in the order measured)."""
    for i, p in enumerate(points):
        if p["efficiency"] < 0.5:
            return len(points) - 1 - i >= 2
    return False


def metg_of(points):
    """The contract's METG (Task Bench's METG(50%)): the smallest task duration d whose
    efficiency is >= 0.5, interpolated on log(d) between it and the next smaller d measured
    (whose efficiency is below 0.5, by the choice of d); that d itself when no smaller one was
    measured; None if no point reached 0.5. Points in any order; points without an efficiency
    are left out."""
    pts = sorted((p for p in points or [] if p.get("efficiency") is not None),
                 key=lambda p: -p["task_s"])
    best = None
    for i, p in enumerate(pts):
        if p["efficiency"] >= 0.5:
            best = i
    if best is None:
        return None
    hi = pts[best]
    if best + 1 == len(pts):
        return hi["task_s"]
    lo = pts[best + 1]
    t = (hi["efficiency"] - 0.5) / (hi["efficiency"] - lo["efficiency"])
    return math.exp(math.log(hi["task_s"]) + t * (math.log(lo["task_s"]) - math.log(hi["task_s"])))


# --- arguments ----------------------------------------------------------------------------------

def build_parser(peer, description, pools, tasks_per_point, redis_required=True, redis_help=None):
    """The contract's subcommands and options. `pools` maps a subcommand to the keyword
    arguments of its --pool option (a subcommand not in it has no --pool). Returns the parser and
    its subparsers by name, to which a peer adds its own options."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--redis", required=redis_required,
                        help=redis_help or "redis://127.0.0.1:PORT/DB (loopback only)")
    common.add_argument("--workers", type=int, default=2)
    common.add_argument("--limit-s", type=float, default=120.0)
    common.add_argument("--quick", action="store_true", help="accepted; shrinks nothing")
    parser = argparse.ArgumentParser(prog=f"{peer}_peer.py", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    subs = {}
    for name in SUBCOMMANDS:
        subs[name] = p = sub.add_parser(name, parents=[common])
        if name in DEFAULT_TASKS:
            p.add_argument("--tasks", type=int, default=DEFAULT_TASKS[name])
        if name in pools:
            p.add_argument("--pool", **pools[name])
    subs["latency"].add_argument("--round-trips", type=int, default=1000)
    subs["c10k"].add_argument("--sleep", type=float, default=1.0)
    subs["metg"].add_argument("--durations", default=None,
                              help="comma-separated task durations in seconds, largest first")
    subs["metg"].add_argument("--tasks-per-point", type=int, default=tasks_per_point)
    return parser, subs


def check_loopback(url):
    """Raises ValueError unless the host of this redis:// URL is loopback."""
    host = urllib.parse.urlparse(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"--redis must be on loopback, got host {host!r}")


def parse_args(parser, argv, check_redis=True):
    """Parses argv and checks what every peer checks: a loopback --redis, sizes >= 1, a
    positive --limit-s, --sleep >= 0."""
    args = parser.parse_args(argv)
    if check_redis and args.redis is not None:
        try:
            check_loopback(args.redis)
        except ValueError as e:
            parser.error(str(e))
    for name in ("workers", "tasks", "round_trips", "tasks_per_point"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.limit_s <= 0:
        parser.error("--limit-s must be > 0")
    if getattr(args, "sleep", 0) < 0:
        parser.error("--sleep must be >= 0")
    return args


# --- output -------------------------------------------------------------------------------------

def new_output(peer, config=None, **fields):
    """The JSON object every subcommand prints: "peer", "config", "complete", its fields."""
    out = {"peer": peer, "config": dict(config or {}), "complete": True}
    out.update(fields)
    return out


def finish_output(out, complete, notes=None):
    """Sets "complete" and, if there is any note (a string or a list of them), "note"."""
    out["complete"] = bool(complete)
    if isinstance(notes, str):
        notes = [notes]
    notes = [n for n in notes or [] if n]
    if notes:
        out["note"] = "; ".join(notes)
    return out


def emit(out, stream=None):
    """The one JSON object, one line."""
    stream = stream or sys.stdout
    stream.write(json.dumps(out) + "\n")
    stream.flush()


# --- processes ----------------------------------------------------------------------------------

def child_pythonpath():
    """PYTHONPATH for a process started here: bench/peers first, then the caller's."""
    parts = [PEERS_DIR] + [x for x in os.environ.get("PYTHONPATH", "").split(os.pathsep) if x]
    return os.pathsep.join(dict.fromkeys(parts))


def stop_processes(procs, grace_s=STOP_GRACE_S, after_term=None, during_grace=None):
    """Stops subprocess.Popen objects, each started with start_new_session=True (so it leads
    its own process group): SIGTERM to each by pid (a worker's own shutdown stops its children),
    a wait of up to grace_s, then SIGKILL to each one's whole process group (it, if still up,
    and whatever of its group outlived it), and each is reaped. after_term() runs once after the
    SIGTERMs, during_grace() on every poll of the grace. Signals are held back meanwhile."""
    with deferred_signals():
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        if after_term is not None:
            after_term()
        end = time.monotonic() + grace_s
        while any(proc.poll() is None for proc in procs) and time.monotonic() < end:
            if during_grace is not None:
                during_grace()
            time.sleep(0.02)
        for proc in procs:
            if proc.poll() is None:
                log(f"pid {proc.pid} still up after {grace_s:g} s: SIGKILL")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"pid {proc.pid} did not exit after SIGKILL")
