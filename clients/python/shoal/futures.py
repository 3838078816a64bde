"""TaskFuture: a remote task's result, as a concurrent.futures.Future that asyncio can await.

    f = client.submit("add", 2, 3)
    f.result(timeout=10)                       # blocking
    concurrent.futures.wait([f, g])            # or as_completed, add_done_callback
    await f                                    # in a coroutine; asyncio.gather(f, g) too
"""

import asyncio
import concurrent.futures


class TaskFuture(concurrent.futures.Future):
    def __init__(self, client, task_id):
        super().__init__()
        self._client = client
        self.task_id = task_id

    @property
    def id(self):
        """The task id as 32 lowercase hex digits (what `shoal result ID` takes)."""
        return self.task_id.hex()

    def __await__(self):
        return asyncio.wrap_future(self).__await__()

    def cancel(self):
        """Cancels the future and revokes the task (a task already running finishes)."""
        if not super().cancel():
            return False
        self._client.revoke([self.task_id])
        return True

    def resolve(self, value=None, exception=None):
        """Settles it from the client's I/O thread; a future the caller cancelled stays so."""
        try:
            if exception is not None:
                self.set_exception(exception)
            else:
                self.set_result(value)
        except concurrent.futures.InvalidStateError:
            pass

    def __repr__(self):
        return f"<TaskFuture {self.id} {self._state.lower()}>"


def gather(futures, timeout=None):
    """The results of `futures` in order (the first error raised), waiting at most `timeout`
    seconds in all (concurrent.futures.TimeoutError past it)."""
    futures = list(futures)
    done, pending = concurrent.futures.wait(futures, timeout=timeout)
    if pending:
        raise concurrent.futures.TimeoutError(f"{len(pending)} of {len(futures)} not done")
    return [f.result() for f in futures]
