"""The failover figure (issue 20): how long the cluster stops running tasks when a part of it
fails, and that it loses none. A C++ worker and a Python client
(bench/cluster/failover_probe.py) submitting a steady stream, and one of:

  kill           one Redis, two shoal-brokers with a lease (--ha-lease-ms, broker/README.md
                 "Active and standby brokers") that the worker and the client both know; the
                 active broker is killed (SIGKILL)
  pause          the same, the active broker stopped (SIGSTOP, as if cut off from everyone) and
                 woken (SIGCONT) after three lease times: the standby must take over, and the
                 old one must stand by again, writing nothing
  redis-primary  one shoal-broker (no lease) on Redis Sentinel (--redis redis+sentinel://...,
                 broker/README.md "Redis Sentinel"): three redis-servers (a primary, two
                 replicas, AOF with appendfsync always, min-replicas-to-write 1) watched by three
                 sentinels (down-after 2000 ms, quorum 2; procs.SentinelCluster); the primary is
                 killed (SIGKILL) and the sentinels promote a replica. The broker runs with
                 --redis-wait-replicas 1: a task is acknowledged once a replica has it

Recovery: from the failure to the first result of a task submitted after it (the stream's
own gap); beside it, when the standby held the lease (Redis polled) or when the sentinels
named another primary (promoted_s), and how many tasks were lost: never answered, or answered
wrong (none is the contract). A task the broker refused `unavailable` (no primary to store it
in: nothing was stored, it never runs) is answered, not lost: the Python client raises it as
TaskRefused (retryable) to its caller and does not send it again itself (clients/python/README.md);
such tasks are counted apart, as `refused`."""

import json
import os
import signal
import subprocess
import time

from procs import Proc, RedisServer, SentinelCluster, free_port
import python_side

LEASE_MS = 1000
WAIT_REPLICAS = 1  # the redis-primary run: acknowledged once a replica has it
RATE = 200  # tasks a second in the stream
BEFORE_S = 1.0  # the stream's seconds before the failure
# ... and after it: a promotion takes the sentinels' down-after (2 s) and an election, and the
# new primary takes writes once the other replica follows it.
AFTER_S = {"kill": 4.0, "pause": 4.0, "redis-primary": 10.0}
KINDS = tuple(AFTER_S)


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


def _start_probe(procs, kind, brokers):
    probe = Proc([python_side.PYTHON, os.path.join(python_side.CLUSTER_DIR, "failover_probe.py"),
                  str(BEFORE_S + AFTER_S[kind]), str(RATE)], stdout=subprocess.PIPE,
                 env=python_side.python_env(brokers))
    procs.append(probe)
    if probe.read_line(30) != "ready":
        raise RuntimeError("the probe did not connect")
    return probe


def _tasks_of(probe, kind):
    line = probe.read_line(AFTER_S[kind] + 150)
    if not line:
        raise RuntimeError("the probe printed no result")
    return json.loads(line)["tasks"]


def _figures(kind, tasks, failed_at):
    after = [t for t in tasks if t["sent"] >= failed_at and t["done"] is not None and t["right"]]
    first_after = min((t["done"] for t in after), default=None)
    refused = [t for t in tasks if t.get("refused") == "unavailable"]
    lost = sum(1 for t in tasks if (t["done"] is None or not t["right"]) and t.get("refused") != "unavailable")
    return {"kind": kind, "tasks": len(tasks), "lost": lost, "refused": len(refused),
            "refused_until_s": max(t["done"] for t in refused) - failed_at if refused else None,
            "recovery_s": first_after - failed_at if first_after is not None else None,
            "complete": lost == 0}


def failover(build, scratch, kind):
    if kind == "redis-primary":
        return redis_primary(build, scratch)
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
        probe = _start_probe(procs, kind, listed)
        time.sleep(BEFORE_S)
        failed_at = time.monotonic()
        os.kill(active.pid, signal.SIGKILL if kind == "kill" else signal.SIGSTOP)
        took = _wait(lambda: _holder(redis) == "b", 10 * LEASE_MS / 1000)
        took_s = time.monotonic() - failed_at if took else None
        if kind == "pause":
            time.sleep(max(0.0, failed_at + 3 * LEASE_MS / 1000 - time.monotonic()))
            os.kill(active.pid, signal.SIGCONT)
        tasks = _tasks_of(probe, kind)
    finally:
        for p in reversed(procs):
            p.stop()
        redis.stop()
    return dict(_figures(kind, tasks, failed_at), lease_ms=LEASE_MS, lease_taken_s=took_s)


def redis_primary(build, scratch):
    kind = "redis-primary"
    directory = os.path.join(scratch, "redis-failover-sentinel")
    cluster = SentinelCluster(directory)
    procs = []
    broker_log = None
    try:
        broker_log = open(os.path.join(directory, "broker.log"), "w")  # warnings: Redis lost, back
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        # Acknowledged = on two machines (broker/README.md "Redis Sentinel").
        procs.append(Proc([build.broker, "--bind", endpoint, "--redis", cluster.url, "--log-level", "warn",
                           "--redis-wait-replicas", str(WAIT_REPLICAS)], stderr=broker_log))
        procs.append(Proc([build.worker, "--broker", endpoint, "--tasks", build.tasks, "--name", "failover-worker",
                           "--log-level", "warn"]))
        probe = _start_probe(procs, kind, endpoint)
        time.sleep(BEFORE_S)
        failed_at = time.monotonic()
        old = cluster.kill_primary()
        promoted = _wait(lambda: cluster.primary_port() not in (0, old), 30)
        promoted_s = time.monotonic() - failed_at if promoted else None
        tasks = _tasks_of(probe, kind)
    finally:
        for p in reversed(procs):
            p.stop()
        cluster.stop()
        if broker_log:
            broker_log.close()
    return dict(_figures(kind, tasks, failed_at), promoted_s=promoted_s, down_after_ms=cluster.down_after_ms,
                wait_replicas=WAIT_REPLICAS)
