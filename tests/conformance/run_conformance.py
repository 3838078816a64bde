#!/usr/bin/env python3
"""Runs the conformance scenarios (README.md here) with one client and one kind of worker
against a real shoal-broker, and checks every answer.

    run_conformance.py --client cpp|python --worker cpp|python|mixed
        --shoal-broker PATH --shoal PATH --shoal-worker PATH --plugin PATH --cpp-client PATH

It starts the broker (loopback, a free port, heartbeats every 500 ms: a killed worker is seen
within 1.5 s, and a live one on a busy machine is not taken for dead; a 1 MiB task budget, its
least, so that `busy` is met), two workers of the kind asked (`mixed`: one C++ and one Python), then runs
each scenario's client program and checks its JSON. `killed` kills -9 the worker that started
the sleeps and starts another in its place. Every wait has a generous deadline; nothing is
timed. Exit 0 when every scenario passed; the daemons' logs are printed when one did not.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_PACKAGE = os.path.join(HERE, "..", "..", "clients", "python")
DEADLINE_S = 120  # generous: a loaded CI machine (or a sanitizer build) is slow, never wrong
ERROR_TYPES = {"cpp": "std::runtime_error", "python": "RuntimeError"}
SCENARIOS = ["submit", "gather", "as_completed", "error", "unknown", "retry", "revoke", "busy",
             "killed"]


class Cluster:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.procs = {}
        self.endpoint = None
        self.serial = 0

    def start(self, name, argv, cwd=None, env=None):
        log = open(os.path.join(self.workdir, name + ".log"), "wb")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env)
        self.procs[name] = proc
        return proc

    def start_broker(self):
        proc = self.start("broker", [self.args.shoal_broker, "--bind", "tcp://127.0.0.1:0",
                                     "--print-endpoint", "--heartbeat-ms", "500",
                                     "--max-queued-bytes", "1048576", "--busy-retry-ms", "100"])
        line = proc.stdout.readline().decode().strip()
        if not line.startswith("tcp://"):
            raise RuntimeError(f"the broker printed no endpoint ({line!r})")
        self.endpoint = line

    def start_worker(self, kind):
        self.serial += 1
        name = f"{kind}-worker-{self.serial}"
        if kind == "cpp":
            argv = [self.args.shoal_worker, "--broker", self.endpoint, "--tasks", self.args.plugin,
                    "--name", name, "--threads", "2", "--processes", "1"]
            self.start(name, argv)
        else:
            env = dict(os.environ, PYTHONPATH=PYTHON_PACKAGE)
            argv = [sys.executable, "-m", "shoal.worker", "--broker", self.endpoint, "--name",
                    name, "--threads", "2", "conformance_tasks"]
            self.start(name, argv, cwd=HERE, env=env)
        return name

    def shoal(self, *argv):
        out = subprocess.run([self.args.shoal, "--broker", self.endpoint, "--json", *argv],
                             capture_output=True, timeout=60, check=True)
        return json.loads(out.stdout)

    def rows(self, what):
        report = self.shoal("inspect", what)
        return report["rows"] if isinstance(report, dict) and "rows" in report else report

    def wait_for_workers(self, names):
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            online = {r.get("name") for r in self.rows("workers")}
            if set(names) <= online:
                return
            time.sleep(0.1)
        raise RuntimeError(f"workers {names} never said HELLO")

    def stop_all(self):
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL if name != "broker" else signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def logs(self):
        for name in self.procs:
            path = os.path.join(self.workdir, name + ".log")
            with open(path, errors="replace") as f:
                text = f.read()
            print(f"---- {name}.log (last 40 lines) ----\n" + "\n".join(text.splitlines()[-40:]))


def client_argv(args, cluster, scenario):
    program = ([args.cpp_client] if args.client == "cpp"
               else [sys.executable, os.path.join(HERE, "python_client.py")])
    return program + ["--broker", cluster.endpoint, "--scratch", cluster.workdir, "--timeout",
                      str(DEADLINE_S / 2), scenario]


def run_client(args, cluster, scenario):
    proc = subprocess.Popen(client_argv(args, cluster, scenario), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    if scenario == "killed":
        kill_the_worker_running_sleeps(cluster)
    out, err = proc.communicate(timeout=DEADLINE_S)
    if proc.returncode != 0:
        raise AssertionError(f"the client failed (exit {proc.returncode}): {err.decode()}")
    return json.loads(out)


def kill_the_worker_running_sleeps(cluster):
    """Waits until a worker started one of the sleeps, kills it -9, starts a replacement."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for row in cluster.rows("active"):
            worker = row.get("worker")
            if row.get("name") == "sleep_ms" and row.get("started") in (1, True) \
                    and worker in cluster.procs:
                cluster.procs[worker].kill()
                cluster.procs[worker].wait()
                kind = worker.split("-")[0]
                cluster.wait_for_workers([cluster.start_worker(kind)])
                cluster.killed = worker
                return
        time.sleep(0.05)
    raise AssertionError("no worker was seen running the sleeps")


def check(scenario, got, args, cluster):
    """Raises AssertionError naming what differs from the README's table."""
    def expect(cond, what):
        if not cond:
            raise AssertionError(f"{what}; got {json.dumps(got)}")

    kinds = ["cpp", "python"] if args.worker == "mixed" else [args.worker]
    if scenario == "submit":
        expect(got == {"result": 5, "fetched": 5}, "add(2, 3) and its fetch by id are 5")
    elif scenario == "gather":
        expect(got == {"results": [2 * i for i in range(100)]}, "the sums in order")
    elif scenario == "as_completed":
        expect(sorted(got["order"]) == [0, 100, 200, 300], "each sleep once")
    elif scenario == "error":
        expect(got.get("status") == "failed", "status failed")
        expect(got.get("message") == "boom", "the message raised")
        expect(got.get("type") in [ERROR_TYPES[k] for k in kinds], "the language's type name")
        expect(got.get("where") in cluster.procs, "where: the worker's name")
    elif scenario == "unknown":
        expect(got.get("status") == "unknown_task", "status unknown_task")
        expect("no_such_task" in got.get("message", ""), "the message names the task")
    elif scenario == "retry":
        expect(got == {"result": 3}, "two retries, then the third attempt's count")
    elif scenario == "revoke":
        expect(got.get("status") == "revoked", "status revoked")
    elif scenario == "busy":
        expect(got == {"count": 300, "ok": 300}, "every echo came back")
        stats = cluster.rows("stats")[0]
        expect(int(stats.get("busy", 0)) > 0, f"the broker refused some busy (stats {stats})")
    elif scenario == "killed":
        expect(got == {"results": [2000] * 4}, "the four sleeps, after a worker's death")
    elif scenario == "mixed":
        expect(got == {"upper": "SHOAL", "negated": -7}, "each name run by who offers it")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["cpp", "python"], required=True)
    parser.add_argument("--worker", choices=["cpp", "python", "mixed"], required=True)
    parser.add_argument("--shoal-broker", required=True)
    parser.add_argument("--shoal", required=True)
    parser.add_argument("--shoal-worker", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--cpp-client", required=True)
    parser.add_argument("--scenarios", help="comma-separated (default: all for the pairing)")
    args = parser.parse_args()
    scenarios = (args.scenarios.split(",") if args.scenarios
                 else ["mixed", "gather", "error"] if args.worker == "mixed" else SCENARIOS)
    workdir = tempfile.mkdtemp(prefix="shoal-conformance-")
    cluster = Cluster(args, workdir)
    failures = []
    try:
        cluster.start_broker()
        kinds = ["cpp", "python"] if args.worker == "mixed" else [args.worker] * 2
        cluster.wait_for_workers([cluster.start_worker(k) for k in kinds])
        for scenario in scenarios:
            started = time.monotonic()
            try:
                got = run_client(args, cluster, scenario)
                check(scenario, got, args, cluster)
                print(f"ok   {args.client} client, {args.worker} worker: {scenario} "
                      f"({time.monotonic() - started:.1f} s) {json.dumps(got)[:120]}")
            except Exception as e:  # noqa: BLE001 - every scenario is reported
                failures.append(scenario)
                print(f"FAIL {args.client} client, {args.worker} worker: {scenario}: {e}")
            sys.stdout.flush()
    finally:
        cluster.stop_all()
        if failures:
            cluster.logs()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(scenarios) - len(failures)} of {len(scenarios)} scenarios passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
