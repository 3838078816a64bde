"""The failover figure (issue 20): how long the cluster stops running tasks when its active
broker fails, and that it loses none. One Redis, two shoal-brokers with a lease
(--ha-lease-ms, broker/README.md "Active and standby brokers"), one C++ worker and a Python
client (bench/cluster/failover_probe.py) that know both brokers and submit a steady stream.

  kill    the active broker is killed (SIGKILL)
  pause   the active broker is stopped (SIGSTOP, as if cut off from everyone) and woken
          (SIGCONT) after three lease times: the standby must take over, and the old one must
          stand by again, writing nothing

Recovery: from the failure to the first result of a task submitted after it (the stream's
own gap); beside it, when the standby held the lease (Redis polled) and how many tasks were
lost (none is the contract)."""

import json
import os
import signal
import subprocess
import time

from procs import Proc, RedisServer, free_port
import python_side

LEASE_MS = 1000
RATE = 200  # tasks a second in the stream
BEFORE_S, AFTER_S = 1.0, 4.0  # the stream's seconds before and after the failure


def _holder(redis):
    token = redis.cli("get", "shoal:broker:lease")
    return token.split(":", 1)[1] if ":" in token else ""


def _wait(predicate, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def failover(build, scratch, kind):
    redis = RedisServer(os.path.join(scratch, f"redis-failover-{kind}"), appendonly=True)
    procs = []
    try:
        endpoints = [f"tcp://127.0.0.1:{free_port()}" for _ in range(2)]
        listed = ",".join(endpoints)

        def broker(i, name):
            p = Proc([build.broker, "--bind", endpoints[i], "--redis", redis.url, "--ha-lease-ms", str(LEASE_MS),
                      "--ha-name", name, "--log-level", "warn"])
            procs.append(p)
            return p

        active = broker(0, "a")
        if not _wait(lambda: _holder(redis) == "a", 20):
            raise RuntimeError("broker a never took the lease")
        broker(1, "b")
        procs.append(Proc([build.worker, "--broker", listed, "--tasks", build.tasks, "--name", "failover-worker",
                           "--log-level", "warn"]))
        probe = Proc([python_side.PYTHON, os.path.join(python_side.CLUSTER_DIR, "failover_probe.py"),
                      str(BEFORE_S + AFTER_S), str(RATE)], stdout=subprocess.PIPE,
                     env=python_side.python_env(listed))
        procs.append(probe)
        if probe.read_line(30) != "ready":
            raise RuntimeError("the probe did not connect")
        time.sleep(BEFORE_S)
        failed_at = time.monotonic()
        os.kill(active.pid, signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
        took = _wait(lambda: _holder(redis) == "b", 10 * LEASE_MS / 1000)
        took_s = time.monotonic() - failed_at if took else None
        if kind == "pause":
            time.sleep(max(0.0, failed_at + 3 * LEASE_MS / 1000 - time.monotonic()))
            os.kill(active.pid, signal.SIGCONT)
        line = probe.read_line(AFTER_S + 150)
        if not line:
            raise RuntimeError("the probe printed no result")
        tasks = json.loads(line)["tasks"]
    finally:
        for p in reversed(procs):
            p.stop()
        redis.stop()
    after = [t for t in tasks if t["sent"] >= failed_at and t["done"] is not None]
    first_after = min((t["done"] for t in after), default=None)
    lost = sum(1 for t in tasks if t["done"] is None or not t["right"])
    return {"kind": kind, "lease_ms": LEASE_MS, "tasks": len(tasks), "lost": lost,
            "lease_taken_s": took_s,
            "recovery_s": first_after - failed_at if first_after is not None else None,
            "complete": lost == 0}
