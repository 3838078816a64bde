#!/usr/bin/env python3
"""The Python client and worker in a real cluster, beyond the conformance scenarios: CURVE keys
and roles, a broker killed and restarted under outstanding futures, a Python worker's drain
handing tasks to another worker, time limits and revoking a running task.

    python_cluster_test.py --shoal-broker P --shoal P --shoal-worker P --plugin P

Real shoal-broker and shoal-worker processes on loopback with free ports; the Python worker is
`python3 -m shoal.worker` with tests/conformance/conformance_tasks.py. Every wait is on an
event with a generous deadline; nothing is timed.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
PACKAGE = os.path.join(ROOT, "clients", "python")
TASKS = os.path.join(ROOT, "tests", "conformance")
sys.path.insert(0, PACKAGE)

import shoal  # noqa: E402

WAIT_S = float(os.environ.get("SHOAL_TEST_WAIT_S", 90))  # generous: a loaded machine is slow, never wrong
ARGS = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, deadline_s=WAIT_S):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened within {deadline_s} s: {what}")


class Cluster:
    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []
        self.endpoint = None
        self.broker = None
        self.keys = {}

    def start(self, name, argv, **kw):
        with open(os.path.join(self.workdir, name + ".log"), "ab") as log:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log,
                                    stdin=subprocess.DEVNULL, **kw)
        self.procs.append((name, proc))
        return proc

    def make_keys(self):
        keygen = [ARGS.shoal, "keygen"]
        kd = os.path.join(self.workdir, "keys")
        for role in ("clients", "workers", "admins"):
            os.makedirs(os.path.join(kd, role))
        subprocess.run(keygen + ["broker", "--dir", self.workdir], check=True, capture_output=True)
        for name, role in (("py-worker", "workers"), ("cpp-worker", "workers"),
                           ("alice", "clients"), ("root", "admins")):
            subprocess.run(keygen + [name, "--dir", os.path.join(kd, role)], check=True,
                           capture_output=True)
            self.keys[name] = os.path.join(kd, role, name + ".key_secret")
        self.keys["broker"] = os.path.join(self.workdir, "broker.key")
        self.keys["broker_secret"] = os.path.join(self.workdir, "broker.key_secret")
        self.keys["dir"] = kd

    def start_broker(self, port, secure=False):
        self.endpoint = f"tcp://127.0.0.1:{port}"
        argv = [ARGS.shoal_broker, "--bind", self.endpoint, "--heartbeat-ms", "500"]
        if secure:
            argv += ["--secret-key", self.keys["broker_secret"], "--keys-dir", self.keys["dir"]]
        self.broker = self.start("broker", argv)

    def key_args(self, name):
        return ["--broker-key", self.keys["broker"], "--key", self.keys[name]] if self.keys else []

    def start_python_worker(self, name, *extra):
        env = dict(os.environ, PYTHONPATH=PACKAGE)
        argv = [sys.executable, "-m", "shoal.worker", "--broker", self.endpoint, "--name", name,
                *self.key_args("py-worker"), *extra, "conformance_tasks"]
        return self.start(name, argv, cwd=TASKS, env=env)

    def start_cpp_worker(self, name, *extra):
        argv = [ARGS.shoal_worker, "--broker", self.endpoint, "--tasks", ARGS.plugin, "--name",
                name, "--threads", "2", "--processes", "1", *self.key_args("cpp-worker"), *extra]
        return self.start(name, argv)

    def client(self, key=None, **kw):
        keys = {"broker_key": self.keys["broker"], "key": self.keys[key]} if key else {}
        return shoal.Client(self.endpoint, connect_timeout=WAIT_S, **keys, **kw)

    def workers(self, client):
        return {row.get("name") for row in client.inspect("workers")}

    def stop(self):
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for _, proc in self.procs:
            proc.wait(timeout=30)

    def logs(self):
        for name in sorted({n for n, _ in self.procs}):
            with open(os.path.join(self.workdir, name + ".log"), errors="replace") as f:
                lines = f.read().splitlines()[-30:]
            print(f"---- {name}.log ----\n" + "\n".join(lines), file=sys.stderr)


class PythonCluster(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="shoal-python-cluster-")
        self.cluster = Cluster(self.workdir)

    def run(self, result=None):
        result = result or self.defaultTestResult()
        problems = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) > problems:
            self.cluster.logs()  # the daemons' side of what failed
        shutil.rmtree(self.workdir, ignore_errors=True)
        return result

    def tearDown(self):
        self.cluster.stop()

    def test_keys_encrypt_and_authenticate_and_roles_hold(self):
        c = self.cluster
        c.make_keys()
        c.start_broker(free_port(), secure=True)
        c.start_python_worker("py-w")
        c.start_cpp_worker("cpp-w")
        with c.client("alice") as alice:
            wait_until("both keyed workers joined", lambda: {"py-w", "cpp-w"} <= c.workers(alice))
            self.assertEqual(alice.submit("py_upper", "keyed").result(WAIT_S), "KEYED")
            self.assertEqual(alice.submit("cpp_negate", 5).result(WAIT_S), -5)
            with self.assertRaises(shoal.BrokerError) as refused:
                alice.inspect("active", timeout=WAIT_S)
            self.assertEqual(refused.exception.code, "forbidden")
        with c.client("root") as root:
            self.assertIsInstance(root.inspect("active", timeout=WAIT_S), list)
        with self.assertRaises(shoal.ConnectError):
            shoal.Client(c.endpoint, connect_timeout=2)  # plaintext: no session at all

    def test_futures_survive_a_broker_killed_and_restarted(self):
        c = self.cluster
        port = free_port()
        c.start_broker(port)
        c.start_python_worker("py-w")
        c.start_cpp_worker("cpp-w")
        with c.client() as client:
            wait_until("workers joined", lambda: {"py-w", "cpp-w"} <= c.workers(client))
            futures = [client.submit("sleep_ms", 1500) for _ in range(4)]
            futures += client.map("add", [(i, 1) for i in range(50)])
            wait_until("the sleeps started",
                       lambda: sum(1 for r in client.inspect("active")
                                   if r.get("started") in (1, True)) > 0)
            c.broker.kill()
            c.broker.wait()
            c.start_broker(port)  # memory mode: the new broker knows nothing
            results = shoal.gather(futures, WAIT_S)
        self.assertEqual(results[:4], [1500] * 4)
        self.assertEqual(results[4:], [i + 1 for i in range(50)])

    def test_a_draining_python_worker_hands_back_what_it_holds(self):
        c = self.cluster
        c.start_broker(free_port())
        py = c.start_python_worker("py-w", "--concurrency", "1", "--prefetch", "4")
        with c.client() as client:
            wait_until("the Python worker joined", lambda: "py-w" in c.workers(client))
            futures = [client.submit("sleep_ms", 800) for _ in range(4)]
            wait_until("it holds the four",
                       lambda: sum(1 for r in client.inspect("active")
                                   if r.get("worker") == "py-w") == 4)
            py.send_signal(signal.SIGTERM)
            self.assertEqual(py.wait(timeout=WAIT_S), 0)  # finished the one it ran, left
            c.start_cpp_worker("cpp-w")  # takes the three handed back
            self.assertEqual(shoal.gather(futures, WAIT_S), [800] * 4)

    def test_time_limits_and_revoke_stop_python_tasks(self):
        c = self.cluster
        c.start_broker(free_port())
        c.start_python_worker("py-w")
        with c.client() as client:
            wait_until("the Python worker joined", lambda: "py-w" in c.workers(client))
            with self.assertRaises(shoal.TaskError) as limited:
                client.submit("sleep_ms", 60_000, time_limit=0.3).result(WAIT_S)
            self.assertEqual(limited.exception.type, "shoal::time_limit_exceeded")
            self.assertEqual(limited.exception.where, "py-w")
            running = client.submit("sleep_ms", 60_000)
            wait_until("it started", lambda: any(
                r.get("started") in (1, True) for r in client.inspect("active")))
            client.revoke(running)
            with self.assertRaises(shoal.TaskRevoked):
                running.result(WAIT_S)
            with self.assertRaises(shoal.TaskError) as bad_args:
                client.submit("add", 1).result(WAIT_S)
            self.assertEqual(bad_args.exception.type, "shoal::argument_error")
            # REQUEUE is answered by ACCEPTED too: an id that is no dead letter is refused.
            self.assertEqual(client.requeue([running.id], timeout=WAIT_S), [])


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--shoal-broker", "--shoal", "--shoal-worker", "--plugin"):
        parser.add_argument(flag, required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
