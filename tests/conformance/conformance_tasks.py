"""The conformance tasks for the Python worker (tests/conformance/README.md): the same names
and behaviour as conformance_tasks_plugin.cpp, plus py_upper, which only Python offers."""

import asyncio

import shoal


@shoal.task
def add(a, b):
    return a + b


@shoal.task
def fail(message):
    raise RuntimeError(message)


@shoal.task
async def sleep_ms(ms):
    await asyncio.sleep(ms / 1000)
    return ms


@shoal.task
def flaky(path, times):
    with open(path, "a+", encoding="utf-8") as f:
        f.write("attempt\n")
        f.seek(0)
        count = len(f.read().splitlines())
    if count <= times:
        raise shoal.Retry(countdown=0.05, reason=f"attempt {count} of {times} failing")
    return count


@shoal.task
def echo(data):
    return data


@shoal.task
def py_upper(s):
    return s.upper()


@shoal.task(process=True)
def py_square_in_process(n):
    return n * n
