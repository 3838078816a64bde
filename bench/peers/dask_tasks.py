"""Task bodies for bench/peers/dask_peer.py (Dask distributed).

The Dask workers are spawned processes: they unpickle these functions by reference, so they
live in this importable module (bench/peers is on the workers' sys.path and PYTHONPATH).
The bodies are the contract's (bench/peers/README.md), the same as in the other peers.
"""

import asyncio
import time

COUNT_LOOP = 10_000_000  # seed 002's count example


def noop(_index=None):
    """The contract's noop(). The ignored optional argument only lets client.map, which needs
    an iterable, submit N separate noop tasks in one batch."""
    return None


def add(a, b):
    return a + b


def count(n):
    """Seed 002's count example: the same 10,000,000-step loop for every n."""
    for i in range(0, COUNT_LOOP):
        i = i + 1
    return i * n


def sleep(s):
    time.sleep(s)
    return s


async def async_sleep(s):
    """sleep(s) as a coroutine function: the Dask worker awaits it on its event loop instead
    of running it in its thread pool (distributed.worker.Worker.execute)."""
    await asyncio.sleep(s)
    return s


def spin(s):
    """Busy-waits s seconds on time.perf_counter()."""
    end = time.perf_counter() + s
    while time.perf_counter() < end:
        pass
    return s
