"""@shoal.task: Python functions a `python3 -m shoal.worker` offers to the cluster.

    @shoal.task                       # a plain function: runs on the worker's thread pool
    def add(a, b):
        return a + b

    @shoal.task                       # async def: runs on the worker's asyncio loop
    async def fetch_page(url): ...

    @shoal.task(process=True)         # CPU-bound: runs on the worker's process pool
    def crunch(n): ...

    @shoal.task(name="images.resize") # another name than the function's
    def resize(path, width): ...

A task is offered under its name (the function's name unless given): the same name a C++
worker may offer, so a cluster routes each name to whoever offers it. Raise shoal.Retry to ask
for another attempt; shoal.current_task() tells a running task its id, attempt and whether it
was asked to stop (its soft time limit).
"""

import contextvars
import inspect
import threading

_registry = {}


class TaskDef:
    """A registered task: still callable as the plain function."""

    def __init__(self, fn, name, place):
        self.fn = fn
        self.name = name
        self.place = place  # "loop", "thread" or "process"
        self.signature = inspect.signature(fn)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def submit(self, client, *args, **options):
        """client.submit(self.name, *args, **options)."""
        return client.submit(self.name, *args, **options)

    def __repr__(self):
        return f"<shoal task {self.name} on the {self.place}>"


def task(fn=None, *, name=None, process=False):
    def register(f):
        if process and inspect.iscoroutinefunction(f):
            raise TypeError(f"{f.__name__}: an async def task runs on the loop, not a process")
        place = "loop" if inspect.iscoroutinefunction(f) else "process" if process else "thread"
        task_name = name or f.__name__
        if not task_name or len(task_name.encode()) > 255:
            raise ValueError("a task name must be 1..255 bytes")
        definition = TaskDef(f, task_name, place)
        _registry[task_name] = definition
        return definition

    return register(fn) if fn is not None else register


def registered():
    """Every task registered so far, by name."""
    return dict(_registry)


class Retry(Exception):
    """Raised by a task to run again after `countdown` seconds (None: the broker's delay),
    at most max_retries times (3 unless the submit says), as C++'s shoal::retry_task."""

    def __init__(self, countdown=None, reason="the task asked to be retried"):
        super().__init__(reason)
        self.countdown = countdown
        self.reason = reason

    def __reduce__(self):  # from a process-pool child
        return (Retry, (self.countdown, self.reason))


class SoftTimeLimitExceeded(Exception):
    """What a task may raise once current_task().stop_requested is set."""


class TaskContext:
    def __init__(self, task_id, name, attempt, worker):
        self.id = task_id
        self.name = name
        self.attempt = attempt
        self.worker = worker
        self._stop = threading.Event()

    @property
    def stop_requested(self):
        """True once the task passed its soft time limit or was revoked."""
        return self._stop.is_set()

    def request_stop(self):
        self._stop.set()


_current = contextvars.ContextVar("shoal_current_task", default=None)


def current_task():
    """The TaskContext of the task running here (None outside a task, and in a process-pool
    task, which runs in another process)."""
    return _current.get()
