"""Task bodies for bench/peers/dask_peer.py (Dask distributed): the shared ones of
task_bodies.py, plus a coroutine sleep for C10K.

The Dask workers are spawned processes: they unpickle these functions by reference, so they
live in importable modules (bench/peers is on the workers' sys.path and PYTHONPATH).
"""

import asyncio

from task_bodies import COUNT_LOOP, add, count, noop, sleep, spin

__all__ = ["COUNT_LOOP", "add", "async_sleep", "count", "noop", "sleep", "spin"]


async def async_sleep(s):
    """sleep(s) as a coroutine function: the Dask worker awaits it on its event loop instead
    of running it in its thread pool (distributed.worker.Worker.execute)."""
    await asyncio.sleep(s)
    return s
