"""Processes for the benchmark run: started in their own process group, stopped by pid (SIGTERM,
then SIGKILL after a grace), each wait bounded. Every server binds loopback."""

import os
import signal
import socket
import subprocess
import sys
import time

_started = []  # every Proc still running, stopped by stop_all() at exit or on a signal


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process in a session of its own, so that stopping it stops its children too."""

    def __init__(self, argv, stdout=subprocess.DEVNULL, stderr=None, env=None, cwd=None):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=stdout, stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                  env=env, cwd=cwd, start_new_session=True, text=True)
        _started.append(self)

    @property
    def pid(self):
        return self.p.pid

    def read_line(self, timeout_s):
        """The first line the process prints, or None after timeout_s."""
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.p.stdout, selectors.EVENT_READ)
        if not sel.select(timeout_s):
            return None
        line = self.p.stdout.readline()
        return line.strip() or None

    def running(self):
        return self.p.poll() is None

    def stop(self, grace_s=5.0):
        if self.p.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.p.wait(wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Whatever of its group outlived it.
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self in _started:
            _started.remove(self)


def stop_all():
    for p in reversed(list(_started)):
        p.stop(grace_s=2.0)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_s(pid):
    """The process's CPU time so far (user + system, all its threads), in seconds; None once it
    is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks():
    """(busy, total) clock ticks of every CPU since boot (/proc/stat; idle and iowait not busy):
    two readings give the machine's busy fraction between them, whoever kept it busy."""
    with open("/proc/stat") as f:
        ticks = [int(t) for t in f.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def run_json(argv, timeout_s, env=None, cwd=None):
    """Runs argv to its end (at most timeout_s) and returns the JSON object it printed, or raises
    RuntimeError with its stderr's tail."""
    return _finish_json(Proc(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd), argv, timeout_s)


def run_json_all(argvs, timeout_s, env=None, watch=None):
    """Runs every argv at once (all started before any is read) to its end, each at most
    timeout_s, and returns the JSON objects they printed, in order; RuntimeError (with the first
    failure's stderr) if any failed, once all have ended or been stopped. Each is read by a
    thread of its own, so that none waits on a full pipe while another is read. With `watch`,
    watch(pids, running) is called meanwhile on this thread: running() is true until every one
    has ended."""
    from concurrent.futures import ThreadPoolExecutor
    procs = [Proc(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for argv in argvs]
    try:
        with ThreadPoolExecutor(max_workers=len(procs)) as pool:
            ends = [pool.submit(_finish_json, p, argv, timeout_s) for p, argv in zip(procs, argvs)]
            if watch:
                watch([p.pid for p in procs], lambda: not all(e.done() for e in ends))
        errors = [e.exception() for e in ends if e.exception()]
        if errors:
            raise RuntimeError(f"{len(errors)} of {len(procs)} failed; the first: {errors[0]}")
        return [e.result() for e in ends]
    finally:
        for p in procs:
            p.stop()


def _finish_json(p, argv, timeout_s):
    import json
    try:
        out, err = p.p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        p.stop()
        raise RuntimeError(f"{os.path.basename(argv[0])} {' '.join(argv[1:3])}: no end in {timeout_s:.0f} s")
    finally:
        p.stop()
    text = out.strip()
    try:
        value = json.loads(text.splitlines()[-1]) if text else None
    except json.JSONDecodeError:
        value = None
    if p.p.returncode != 0 or not isinstance(value, dict):
        tail = " | ".join((err or "").strip().splitlines()[-3:])
        raise RuntimeError(f"{' '.join(os.path.basename(a) for a in argv[:3])}: exit {p.p.returncode}: {tail}")
    return value


class RedisServer:
    """A redis-server on a free loopback port in its own directory."""

    def __init__(self, directory, appendonly=False, appendfsync="everysec"):
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", directory,
                "--save", "", "--daemonize", "no", "--logfile", os.path.join(directory, "redis.log"),
                "--appendonly", "yes" if appendonly else "no", "--appendfsync", appendfsync]
        self.proc = Proc(argv)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("ping") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=30)
        return r.stdout.strip()

    def stop(self):
        self.proc.stop()
