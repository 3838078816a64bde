"""Python tasks for the tour (examples/python/tour.py): a worker runs them with

    python3 -m shoal.worker --broker tcp://127.0.0.1:5555 word_tasks
"""

import asyncio
import collections

import shoal


@shoal.task
def word_count(text):
    """On the worker's thread pool: the counts of the words of `text`."""
    return dict(collections.Counter(text.lower().split()))


@shoal.task
async def slow_echo(value, seconds):
    """On the worker's asyncio loop: `value` after `seconds`, without blocking the loop."""
    await asyncio.sleep(seconds)
    return value


@shoal.task(process=True)
def primes_below(n):
    """On the worker's process pool (CPU-bound): how many primes are below n."""
    sieve = bytearray([1]) * n
    sieve[:2] = b"\x00\x00"[:n]
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, n, i)))
    return sum(sieve)


@shoal.task
def flaky_fetch(path):
    """Fails twice (asking to be retried after 0.1 s), then succeeds: shoal.Retry."""
    with open(path, "a+", encoding="utf-8") as f:
        f.write("x")
        f.seek(0)
        attempts = len(f.read())
    if attempts < 3:
        raise shoal.Retry(countdown=0.1, reason=f"attempt {attempts}: the upstream is busy")
    return f"fetched on attempt {attempts}"
