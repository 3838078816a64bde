"""The tasks of bench/run's `python` figure for the Python worker (python3 -m shoal.worker
shoal_python_tasks): the bodies the C++ seed tasks and the peers' tasks have (noop, add)."""

import shoal


@shoal.task
async def noop():
    # async def: runs on the worker's asyncio loop, as the C++ seed task runs on its loop.
    return None


@shoal.task
def add(a, b):
    # A plain function, as a Python user writes it (and as Celery's add is): the thread pool.
    return a + b
