#!/usr/bin/env python3
"""The Python tour: a Python client hands work to the cluster's C++ workers, then a Python
worker joins the same cluster and runs Python tasks beside them.

    deploy/local-cluster.sh --bin build/demo run /usr/bin/python3 examples/python/tour.py

(local-cluster.sh sets SHOAL_BROKER; the package is clients/python, or `pip install` it.)
"""

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

import shoal  # noqa: E402


def section(title):
    print(f"== {title} ==", flush=True)


def start_python_worker(broker):
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "..", "..", "clients", "python"))
    return subprocess.Popen([sys.executable, "-m", "shoal.worker", "--broker", broker,
                             "--name", "python-worker", "--threads", "2", "--processes", "2",
                             "word_tasks"], cwd=HERE, env=env, stderr=subprocess.DEVNULL)


def wait_for_worker(client, name, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if any(row.get("name") == name for row in client.inspect("workers")):
            return
        time.sleep(0.1)
    raise SystemExit(f"{name} did not join within {deadline_s} s")


async def with_asyncio(client):
    return await asyncio.gather(client.submit("add", 1, 2), client.submit("mul", 6, 7))


def main():
    client = shoal.Client()  # $SHOAL_BROKER, else tcp://127.0.0.1:5555

    section("Python client, C++ workers: submit, map, gather")
    print("add(2, 3) =", client.submit("add", 2, 3).result(timeout=10))
    squares = shoal.gather(client.map("mul", [(i, i) for i in range(10)]), timeout=10)
    print("map(mul, i*i) =", squares)

    section("asyncio and concurrent.futures")
    print("await asyncio.gather(add(1, 2), mul(6, 7)) =", asyncio.run(with_asyncio(client)))
    sleeps = [client.submit("sleep", s) for s in (0.3, 0.1, 0.2)]
    order = [f.result() for f in concurrent.futures.as_completed(sleeps, timeout=10)]
    print("as_completed(sleep 0.3, 0.1, 0.2) =", order)

    section("errors keep their type, message and worker")
    try:
        client.submit("divide", 1, 0).result(timeout=10)
    except shoal.TaskError as e:
        print(f"divide(1, 0) raised {e.type}: {e.message!r} on {e.where}")

    section("a Python worker joins: each task name goes to whoever offers it")
    worker = start_python_worker(client.broker)
    try:
        wait_for_worker(client, "python-worker")
        counts = client.submit("word_count", "the cat and the hat").result(timeout=30)
        print("word_count (Python, thread pool) =", counts)
        print("primes_below(100000) (Python, process pool) =",
              client.submit("primes_below", 100_000).result(timeout=60))
        print("slow_echo (Python, asyncio loop) =",
              client.submit("slow_echo", "hi", 0.1).result(timeout=30))
        print("fib(30) (C++, thread pool) =", client.submit("fib", 30).result(timeout=30))
        with tempfile.TemporaryDirectory() as scratch:
            flaky = client.submit("flaky_fetch", os.path.join(scratch, "n"), max_retries=3)
            print("flaky_fetch with shoal.Retry:", flaky.result(timeout=30))
    finally:
        worker.send_signal(signal.SIGTERM)  # drains: hands back what it holds, exits 0
        worker.wait(timeout=30)
    print("the Python worker drained and left with status", worker.returncode)
    client.close()


if __name__ == "__main__":
    main()
