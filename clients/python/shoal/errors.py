"""The exceptions of the Python client and worker: each keeps what the wire said.

    try:
        client.submit("divide", 1, 0).result()
    except shoal.TaskError as e:
        print(e.type, e.message, e.where)   # e.g. "std::domain_error", "divide: by zero", "worker-1@a"
"""


class ShoalError(Exception):
    """Base of every Shoal error."""


class TaskError(ShoalError):
    """A task ended other than ok: its outcome's status and error, as the worker or broker
    reported them. `type` is the error's type name in the language that raised it
    (`std::runtime_error` from C++, `ValueError` from Python), `where` who raised it."""

    status = "failed"

    def __init__(self, type, message, where, task_id=None):
        super().__init__(f"{type}: {message}" if type else message)
        self.type = type
        self.message = message
        self.where = where
        self.task_id = task_id


class TaskRevoked(TaskError):
    status = "revoked"


class UnknownTask(TaskError):
    """No worker offers the task's name."""

    status = "unknown_task"


class TaskLost(TaskError):
    """The task's workers died up to the delivery limit (a dead letter), or it was lost."""

    status = "lost"


class TaskExpired(TaskError):
    status = "expired"


class TaskRefused(ShoalError):
    """The broker refused the task at submit (`bad_task`, `unsupported`, `conflict`,
    `unavailable`, `result_expired`, `forbidden`, ...). `busy` is never raised: the client
    sends such a task again after the broker's retry-after."""

    def __init__(self, code, message, where="broker"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.where = where

    @property
    def retryable(self):
        return self.code == "unavailable"


class BrokerError(ShoalError):
    """The broker answered a request with ERROR (e.g. `forbidden`, `bad_body`)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ResultUnknown(ShoalError):
    """fetch(): the broker knows no task of that id (never submitted, or forgotten)."""


class ResultExpired(ShoalError):
    """fetch(): the task ran, but its result passed its time to live."""


class ConnectError(ShoalError):
    """No WELCOME from the broker within the client's timeout."""


class ClientClosed(ShoalError):
    """The client closed before the task's result arrived."""


class KeyFileError(ShoalError):
    """A CURVE key file that is missing, malformed or readable by others."""


STATUS_ERRORS = {cls.status: cls for cls in (TaskError, TaskRevoked, UnknownTask, TaskLost,
                                              TaskExpired)}


def outcome_error(status, error, task_id=None):
    """The exception for a non-ok outcome's (type, message, where)."""
    type_, message, where = error
    return STATUS_ERRORS.get(status, TaskError)(type_, message, where, task_id)
