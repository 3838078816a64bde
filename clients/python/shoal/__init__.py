"""Shoal for Python: a client for a Shoal cluster, and a worker that runs Python tasks in it.

    import shoal
    client = shoal.Client("tcp://127.0.0.1:5555")
    print(client.submit("add", 2, 3).result())      # 5, run by a C++ or a Python worker

    @shoal.task                                     # in myapp/tasks.py
    def add(a, b):
        return a + b
    # python3 -m shoal.worker --broker tcp://127.0.0.1:5555 myapp.tasks
"""

from ._wire import SOFTWARE, VERSION
from .client import Client
from .errors import (BrokerError, ClientClosed, ConnectError, KeyFileError, ResultExpired,
                     ResultUnknown, ShoalError, TaskError, TaskExpired, TaskLost, TaskRefused,
                     TaskRevoked, UnknownTask)
from .futures import TaskFuture, gather
from .tasks import Retry, SoftTimeLimitExceeded, current_task, task

__version__ = VERSION
__all__ = ["BrokerError", "Client", "ClientClosed", "ConnectError", "KeyFileError", "Retry",
           "ResultExpired", "ResultUnknown", "SOFTWARE", "ShoalError", "SoftTimeLimitExceeded",
           "TaskError", "TaskExpired", "TaskFuture", "TaskLost", "TaskRefused", "TaskRevoked",
           "UnknownTask", "current_task", "gather", "task"]
