"""The job functions of the RQ peer (bench/peers/rq_peer.py).

The `rq worker` processes import this module by name (`rq_tasks.noop`, ...), so bench/peers
must be on their PYTHONPATH; rq_peer.py sets that up. The bodies are the same as every other
peer's (see bench/peers/README.md).
"""

import time

COUNT_LOOP = 10_000_000  # seed 002's count example


def noop():
    return None


def add(a, b):
    return a + b


def count(n):
    # seed 002's loop, verbatim: i ends at COUNT_LOOP, so the result is COUNT_LOOP * n
    for i in range(0, COUNT_LOOP):
        i = i + 1
    return i * n


def sleep(s):
    time.sleep(s)
    return s


def spin(s):
    end = time.perf_counter() + s
    while time.perf_counter() < end:
        pass
    return s
