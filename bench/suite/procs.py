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
    """A redis-server on a free loopback port in its own directory; `extra` are more settings as
    command-line options (e.g. "--replicaof", "127.0.0.1", "6379")."""

    def __init__(self, directory, appendonly=False, appendfsync="everysec", extra=()):
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", directory,
                "--save", "", "--daemonize", "no", "--logfile", os.path.join(directory, "redis.log"),
                "--appendonly", "yes" if appendonly else "no", "--appendfsync", appendfsync, *extra]
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

    def kill9(self):
        """SIGKILL, and reaped: nothing is flushed beyond what it had written."""
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.p.wait(5)

    def running(self):
        return self.proc.running()

    def stop(self):
        self.proc.stop()


def redis_command(port, *args, timeout_s=1.0):
    """One command on a new loopback connection, its reply decoded (a status or bulk string as
    str, an integer as int, nil as None, an array as a list); None when nothing answers in time.
    A plain socket rather than redis-cli: it is polled every few milliseconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a) for a in
                                                          (str(a).encode() for a in args)]))
            return _read_reply(s.makefile("rb"))
    except (OSError, ValueError):
        return None


def _read_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ValueError("a short reply")
    kind, rest = line[:1], line[1:-2].decode()
    if kind in (b"+", b"-"):
        return rest if kind == b"+" else "ERR:" + rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if int(rest) < 0 else f.read(int(rest) + 2)[:-2].decode()
    if kind == b"*":
        return None if int(rest) < 0 else [_read_reply(f) for _ in range(int(rest))]
    raise ValueError(f"a reply of kind {kind!r}")


class SentinelCluster:
    """Three redis-servers on loopback, a primary and two replicas (AOF, appendfsync always),
    watched by three sentinels (`redis-server CONF --sentinel`, each with its config file in
    `directory`) that fail over at once (quorum 2) a primary silent for down_after_ms. Every
    server, once primary, takes writes only with a replica at most 10 s behind
    (min-replicas-to-write 1, min-replicas-max-lag 10), as broker/README.md "Redis Sentinel"
    advises. The settings are tests/support/redis/sentinel_cluster.hpp's (down-after 2000 ms:
    at 500 ms a primary just promoted and busy missed the sentinels' pings and was failed over
    again, see there). The constructor returns once every sentinel sees the primary, its two
    replicas and the two other sentinels, and both replicas are in sync."""

    def __init__(self, directory, master="shoalmaster", down_after_ms=2000, failover_timeout_ms=10000,
                 ready_timeout_s=30.0):
        os.makedirs(directory, exist_ok=True)
        self.master = master
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.servers = []
        self.sentinels = []
        self.sentinel_ports = []
        try:
            for i in range(3):
                extra = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"]
                if i:
                    extra += ["--replicaof", "127.0.0.1", str(self.servers[0].port)]
                self.servers.append(RedisServer(os.path.join(directory, f"redis-{i}"), appendonly=True,
                                                appendfsync="always", extra=extra))
            for i in range(3):
                self._start_sentinel(directory, i)
            if not self._wait(self._ready, ready_timeout_s):
                raise RuntimeError(f"sentinel cluster not ready in {ready_timeout_s:.0f} s: {self._state()}")
        except BaseException:
            self.stop()
            raise

    def _start_sentinel(self, directory, i):
        port = free_port()
        conf = os.path.join(directory, f"sentinel-{i}.conf")
        m = self.master
        with open(conf, "w") as f:
            f.write(f"port {port}\nbind 127.0.0.1\ndir {directory}\ndaemonize no\n"
                    f"logfile {os.path.join(directory, f'sentinel-{i}.log')}\n"
                    f"sentinel monitor {m} 127.0.0.1 {self.servers[0].port} 2\n"
                    f"sentinel down-after-milliseconds {m} {self.down_after_ms}\n"
                    f"sentinel failover-timeout {m} {self.failover_timeout_ms}\n"
                    f"sentinel parallel-syncs {m} 1\n")
        # The sentinel rewrites its config file (what it learned): one file each.
        self.sentinels.append(Proc(["redis-server", conf, "--sentinel"]))
        self.sentinel_ports.append(port)

    @staticmethod
    def _wait(predicate, timeout_s):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def _master_info(self, port):
        reply = redis_command(port, "SENTINEL", "MASTER", self.master)
        return dict(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else {}

    def _replicas_in_sync(self):
        info = self.servers[0].cli("info", "replication")
        return info.count("state=online")

    def _ready(self):
        for port in self.sentinel_ports:
            m = self._master_info(port)
            if (m.get("port") != str(self.servers[0].port) or m.get("flags") != "master"
                    or m.get("num-slaves") != "2" or m.get("num-other-sentinels") != "2"):
                return False
        return self._replicas_in_sync() == 2

    def _state(self):
        return "; ".join(f"sentinel {p}: " + ", ".join(f"{k}={m.get(k)}" for k in
                                                       ("port", "flags", "num-slaves", "num-other-sentinels"))
                         for p, m in ((p, self._master_info(p)) for p in self.sentinel_ports)) + \
            f"; replicas in sync: {self._replicas_in_sync()}"

    @property
    def url(self):
        """The broker's --redis: redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/MASTER"""
        return "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports) + "/" + self.master

    def primary_port(self):
        """The primary's port as the first sentinel that answers says (0 when none does)."""
        for port in self.sentinel_ports:
            reply = redis_command(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master)
            if isinstance(reply, list) and len(reply) == 2:
                return int(reply[1])
        return 0

    def server_on(self, port):
        return next((s for s in self.servers if s.port == port), None)

    def kill_primary(self):
        """SIGKILL to the server the sentinels name primary; returns its port."""
        port = self.primary_port()
        server = self.server_on(port)
        if server is None:
            raise RuntimeError(f"the sentinels name no server of ours primary (port {port})")
        server.kill9()
        return port

    def stop(self):
        for p in reversed(self.sentinels):
            p.stop()
        for s in reversed(self.servers):
            s.stop()
