"""The task bodies every peer runs (bench/peers/README.md): plain functions, imported by the
RQ and Dask workers by module and name, and wrapped as Celery tasks by celery_tasks.py's own
copies (Celery registers a task at its decorator)."""

import time

COUNT_LOOP = 10_000_000  # seed 002's count example


def noop(_index=None):
    """The contract's noop(). The ignored optional argument lets Dask's client.map, which needs
    an iterable, submit N separate noop tasks in one batch."""
    return None


def add(a, b):
    return a + b


def count(n):
    """Seed 002's loop, verbatim: i ends at COUNT_LOOP, so the result is COUNT_LOOP * n."""
    for i in range(0, COUNT_LOOP):
        i = i + 1
    return i * n


def sleep(s):
    time.sleep(s)
    return s


def spin(s):
    """Busy-waits s seconds on time.perf_counter(), holding the CPU."""
    end = time.perf_counter() + s
    while time.perf_counter() < end:
        pass
    return s
