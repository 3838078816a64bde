"""shoal.Client: submits tasks to a Shoal broker and returns their results as futures.

    import shoal
    with shoal.Client("tcp://127.0.0.1:5555") as client:
        f = client.submit("add", 2, 3)
        print(f.result())                                   # 5
        print(shoal.gather(client.map("add", [(1, 2), (3, 4)])))   # [3, 7]

One I/O thread owns the DEALER socket. Callers hand it work through a lock-protected list and
a pipe that wakes it; it sends everything that is ready as one batch per pass (one SUBMIT for
all the tasks submitted since its last pass), never waiting on a timer to fill a batch. It
keeps the delivery contract of PROTOCOL.md section 6 as the C++ client does: a task refused
`busy` is sent again after the broker's retry-after, an unacknowledged submit is sent again
(same id) after `ack_timeout`, an accepted task without a result is asked for (FETCH) after
`result_check` and then twice as long each time, and after a reconnect everything unanswered
is sent or asked for again.
"""

import heapq
import itertools
import logging
import os
import random
import threading
import time

import zmq

from . import _wire
from ._link import Keys, Session, frames, open_dealer, read_messages
from ._wire import Cmd, ProtocolError
from .errors import (BrokerError, ClientClosed, ConnectError, ResultExpired, ResultUnknown,
                     TaskRefused, outcome_error)
from .futures import TaskFuture

_MS_OPTIONS = {"countdown": "countdown_ms", "time_limit": "time_limit_ms",
               "soft_time_limit": "soft_time_limit_ms", "retry_delay": "retry_delay_ms",
               "retry_backoff_max": "retry_backoff_max_ms"}
_EPOCH_OPTIONS = {"eta": "eta_ms", "expires": "expires_ms"}


def task_options(options):
    """Python keywords to the wire's option map: durations in seconds (float), eta and expires
    as unix seconds, the rest as named in PROTOCOL.md 5.2."""
    out = {}
    for key, value in options.items():
        if value is None:
            continue
        if key in _MS_OPTIONS:
            out[_MS_OPTIONS[key]] = max(0, round(value * 1000))
        elif key in _EPOCH_OPTIONS:
            out[_EPOCH_OPTIONS[key]] = max(0, round(value * 1000))
        elif key in ("retry_backoff", "retry_jitter", "chunk"):
            out[key] = bool(value)
        elif key == "retry_on":
            out[key] = [str(t) for t in value]
        elif key in _wire.OPTION_ORDER:
            out[key] = value
        else:
            raise TypeError(f"unknown task option {key!r}")
    if "priority" in out and not 0 <= out["priority"] <= 9:
        raise ValueError("priority must be 0..9")
    return out


class _Task:
    """A submitted task the client still answers for: what to send again, and its state."""

    __slots__ = ("task_id", "name", "queue", "payload", "options", "future", "state", "sent_at")

    def __init__(self, task_id, name, queue, payload, options, future):
        self.task_id, self.name, self.queue = task_id, name, queue
        self.payload, self.options, self.future = payload, options, future
        self.state = "new"  # new -> sent -> accepted; busy while waiting out a retry-after
        self.sent_at = 0.0

    def wire(self):
        return (self.task_id, self.name, self.queue, self.payload, self.options)

    def size(self):
        return 48 + len(self.name) + len(self.queue) + len(self.payload) + 32 * len(self.options)


class Client:
    def __init__(self, broker=None, *, broker_key=None, key=None, name=None,
                 connect_timeout=5.0, ack_timeout=5.0, result_check=10.0,
                 result_check_max=300.0):
        """Connects to `broker` (default $SHOAL_BROKER, else tcp://127.0.0.1:5555) and waits
        up to `connect_timeout` seconds for its WELCOME (ConnectError past it; None: do not
        wait). `broker_key` and `key` are CURVE key files (default $SHOAL_BROKER_KEY and
        $SHOAL_KEY), as `shoal keygen` writes them."""
        self.broker = broker or os.environ.get("SHOAL_BROKER") or "tcp://127.0.0.1:5555"
        self._keys = Keys.load(broker_key or os.environ.get("SHOAL_BROKER_KEY"),
                               key or os.environ.get("SHOAL_KEY"))
        self.name = name or f"python-client-{os.getpid()}@{os.uname().nodename}"
        self._ack_timeout = ack_timeout
        self._result_check = result_check
        self._result_check_max = result_check_max
        self._ctx = zmq.Context()
        self._session = Session(_wire.hello("client", self.name, []), self.broker)
        self._lock = threading.Lock()
        self._inbox = []
        self._woken = False
        self._closing = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._welcomed = threading.Event()
        # I/O thread state.
        self._socket = None
        self._tasks = {}         # task_id -> _Task this client submitted and still answers for
        self._fetchers = {}      # task_id -> [TaskFuture] waiting on a fetch() of it
        self._outbox = []        # tasks to send in the next SUBMIT
        self._to_fetch = set()   # ids to ask for in the next FETCH
        self._timers = []        # heap of (when, seq, kind, task_id)
        self._seq = itertools.count()
        self._requests = {}      # (command, key) -> [(body, concurrent Future)]
        self._sends = []         # frames to send once welcomed
        self._thread = threading.Thread(target=self._run, name="shoal-client-io", daemon=True)
        self._thread.start()
        if connect_timeout is not None and not self._welcomed.wait(connect_timeout):
            self.close()
            raise ConnectError(f"no answer from the broker at {self.broker} within "
                               f"{connect_timeout:g} s")

    # ---- the API (any thread) ----

    def submit(self, name, *args, queue=None, **options):
        """Submits `name(*args)`; returns its TaskFuture at once. Options as PROTOCOL.md 5.2,
        durations in seconds: priority, countdown, eta (unix s), expires (unix s),
        time_limit, soft_time_limit, max_retries, retry_delay, retry_backoff,
        retry_backoff_max, retry_jitter, retry_on, chunk."""
        return self.submit_payload(name, _wire.pack(list(args)), queue=queue, **options)

    def submit_payload(self, name, payload, *, queue=None, **options):
        """The same with the arguments' msgpack array given as bytes."""
        if not name or len(name.encode()) > _wire.MAX_NAME_BYTES:
            raise ValueError("a task name must be 1..255 bytes")
        limit = self._session.settings["max_message_bytes"] - 1024
        if len(payload) > limit:
            raise ValueError(f"the arguments take {len(payload)} bytes, over the broker's "
                             f"message limit ({limit} bytes)")
        task_id = _wire.new_task_id()
        future = TaskFuture(self, task_id)
        task = _Task(task_id, name, queue or "default", payload, task_options(options), future)
        self._post(("submit", task))
        return future

    def map(self, name, items, *, queue=None, **options):
        """One task per item: a tuple is the call's arguments, any other value its one
        argument. Returns the futures in order; all go out in one batch."""
        items = list(items)
        wire_options = task_options(options)
        queue = queue or "default"
        pack = _wire.pack
        futures = []
        posted = []
        for task_id, item in zip(_wire.new_task_ids(len(items)), items):
            future = TaskFuture(self, task_id)
            payload = pack(list(item) if isinstance(item, tuple) else [item])
            posted.append(("submit", _Task(task_id, name, queue, payload, wire_options, future)))
            futures.append(future)
        self._post_many(posted)
        return futures

    def fetch(self, task_id):
        """A TaskFuture for a task submitted by anyone, by id (hex str or 16 bytes)."""
        task_id = _as_id(task_id)
        future = TaskFuture(self, task_id)
        self._post(("fetch", future))
        return future

    def revoke(self, tasks, terminate=False):
        """Revokes tasks (futures, hex ids or bytes): a queued one never runs, its future
        raises TaskRevoked; with terminate, a running process-pool task is killed."""
        ids = [_as_id(t) for t in (tasks if isinstance(tasks, (list, tuple, set)) else [tasks])]
        self._post(("send", frames(Cmd.REVOKE, _wire.revoke(ids, terminate))))

    def requeue(self, tasks, timeout=10.0):
        """Runs dead-lettered tasks again; returns the ids the broker requeued."""
        ids = [_as_id(t) for t in tasks]
        accepted, _refused, _ = self._request(Cmd.REQUEUE, ("requeue",), _wire.requeue(ids),
                                              timeout)
        return [i.hex() for i in accepted]

    def inspect(self, what, timeout=10.0):
        """The broker's REPORT rows for `what` (workers, queues, active, dead, held,
        scheduled, limits, stats), each a dict."""
        return self._request(Cmd.INSPECT, ("report", what), _wire.inspect(what), timeout)

    def purge(self, queue="default", timeout=10.0):
        """Drops every task waiting in `queue`; returns how many."""
        return self._request(Cmd.PURGE, ("purged", queue), _wire.purge(queue), timeout)

    def admin(self, action, params=None, payload=None, timeout=10.0):
        """An ADMIN action (an admin key's): returns the REPORT rows."""
        return self._request(Cmd.ADMIN, ("report", action),
                             _wire.admin(action, params, payload), timeout)

    def close(self):
        """Says BYE and stops; futures still waiting raise ClientClosed."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        self._wake()
        self._thread.join(timeout=10)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- hand-off to the I/O thread ----

    def _post(self, item):
        self._post_many([item])

    def _post_many(self, items):
        with self._lock:
            if self._closing:
                raise ClientClosed("the client is closed")
            self._inbox.extend(items)
            wake = not self._woken
            self._woken = True
        if wake:
            self._wake()

    def _wake(self):
        try:
            os.write(self._wake_w, b"w")
        except (BlockingIOError, OSError):
            pass

    def _request(self, cmd, key, body, timeout):
        import concurrent.futures
        future = concurrent.futures.Future()
        self._post(("request", cmd, key, body, future))
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"no answer from the broker within {timeout:g} s") from None

    # ---- the I/O thread ----

    def _run(self):
        self._connect()
        poller = zmq.Poller()
        poller.register(self._wake_r, zmq.POLLIN)
        try:
            while True:
                now = time.monotonic()
                timeout = self._next_deadline(now)
                poller.register(self._socket, zmq.POLLIN)
                ready = dict(poller.poll(max(0, int(timeout * 1000))))
                if self._wake_r in ready:
                    try:
                        os.read(self._wake_r, 65536)
                    except BlockingIOError:
                        pass
                with self._lock:
                    inbox, self._inbox = self._inbox, []
                    self._woken = False
                    closing = self._closing
                for item in inbox:
                    self._take(item)
                if closing:
                    break
                self._receive()
                self._maintain(time.monotonic())
                self._flush()
        finally:
            self._shutdown()

    def _connect(self):
        self._socket = open_dealer(self._ctx, self._session.endpoint, self._keys,
                                   replacing=self._socket)
        self._send(self._session.hello())

    def _send(self, parts):
        try:
            self._socket.send_multipart(parts, flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return False
        self._session.sent()
        return True

    def _take(self, item):
        kind = item[0]
        if kind == "submit":
            task = item[1]
            self._tasks[task.task_id] = task
            self._outbox.append(task)
        elif kind == "fetch":
            future = item[1]
            self._fetchers.setdefault(future.task_id, []).append(future)
            self._to_fetch.add(future.task_id)
        elif kind == "send":
            self._sends.append(item[1])
        elif kind == "request":
            _, cmd, key, body, future = item
            self._requests.setdefault(key, []).append((cmd, body, future))
            self._sends.append(frames(cmd, body))

    def _receive(self):
        read_messages(lambda: self._socket.recv_multipart(flags=zmq.NOBLOCK), self._session,
                      self._welcomed_now, self._dispatch, self._send, 10_000)

    def _welcomed_now(self):
        """A new session: everything unanswered is sent or asked for again."""
        for task in self._tasks.values():
            if task.state == "sent":
                task.state = "new"
                self._outbox.append(task)
            elif task.state == "accepted":
                self._to_fetch.add(task.task_id)
        self._outbox.sort(key=lambda t: t.sent_at)
        self._to_fetch.update(self._fetchers)
        for waiting in self._requests.values():
            for cmd, body, _future in waiting:
                self._sends.append(frames(cmd, body))
        self._welcomed.set()

    def _dispatch(self, cmd, body):
        if cmd == Cmd.ACCEPTED:
            self._on_accepted(*_wire.read_accepted(body))
        elif cmd == Cmd.RESULT:
            for outcome in _wire.read_result(body):
                self._settle(outcome)
        elif cmd == Cmd.FETCHED:
            self._on_fetched(*_wire.read_fetched(body))
        elif cmd == Cmd.REPORT:
            what, rows = _wire.read_report(body)
            self._answer(("report", what), rows)
        elif cmd == Cmd.PURGED:
            queue, count = _wire.read_purged(body)
            self._answer(("purged", queue), count)
        elif cmd == Cmd.ERROR:
            self._on_error(_wire.read_error_reply(body))
        elif cmd == Cmd.BYE:
            # The broker is closing (stopped, or it gave its lease up): the next one of the
            # list now (the same one, alone), not after a silence.
            self._session.move_on(time.monotonic())
        # HEARTBEAT counts as life (Session.heard); EVENTS need nothing here.

    def _on_accepted(self, ids, refused, retry_after_ms):
        if self._requests.get(("requeue",)):
            # REQUEUE is answered by ACCEPTED too; ids this client never submitted answer it.
            mine = [i for i in ids if i in self._tasks] + [i for i, _ in refused
                                                           if i in self._tasks]
            if not mine:
                self._answer(("requeue",), (ids, refused, retry_after_ms))
                return
        now = time.monotonic()
        checked = []
        for task_id in ids:
            task = self._tasks.get(task_id)
            if task is not None and task.state != "accepted":
                task.state = "accepted"
                checked.append(task_id)
        if checked:
            self._timer(now + self._result_check, "check", (tuple(checked), self._result_check))
        for task_id, (code, message, where) in refused:
            task = self._tasks.get(task_id)
            if task is None:
                continue
            if code == "busy":
                task.state = "busy"
                wait = max(retry_after_ms, 50) / 1000.0 * random.uniform(0.5, 1.0)
                self._timer(now + wait, "resend", (task_id,))
            else:
                del self._tasks[task_id]
                task.future.resolve(exception=TaskRefused(code, message, where))

    def _settle(self, outcome):
        task_id, status, value = outcome
        task = self._tasks.pop(task_id, None)
        futures = self._fetchers.pop(task_id, [])
        if task is not None:
            futures.append(task.future)
        if not futures:
            return
        if status == "ok":
            try:
                result, error = _wire.unpack(value), None
            except ProtocolError as e:
                result, error = None, outcome_error(
                    "failed", ("shoal::result_error", f"the result is not msgpack: {e}",
                               "client"), task_id.hex())
        else:
            result, error = None, outcome_error(status, value, task_id.hex())
        for future in futures:
            future.resolve(result, error)

    def _on_fetched(self, entries, deferred):
        for task_id, state, outcome in entries:
            if state == "done" and outcome is not None:
                self._settle(outcome)
            elif state in ("unknown", "expired"):
                task = self._tasks.get(task_id)
                if task is not None and state == "unknown":
                    # The broker lost it (restarted without Redis): the same id again.
                    task.state = "new"
                    self._outbox.append(task)
                    continue
                if task is not None:
                    del self._tasks[task_id]
                    task.future.resolve(exception=ResultExpired(task_id.hex()))
                for future in self._fetchers.pop(task_id, []):
                    error = (ResultUnknown if state == "unknown" else ResultExpired)(
                        f"{state}: task {task_id.hex()}")
                    future.resolve(exception=error)
            # pending: the FETCH subscribed this session to its RESULT.
        if deferred:
            self._timer(time.monotonic() + 0.1, "fetch_deferred", tuple(deferred))

    def _on_error(self, e):
        code = e["code"]
        if code == "not_active":
            logging.getLogger("shoal.client").info("broker %s: %s; trying the next",
                                                   self._session.endpoint, e["message"])
            self._session.move_on(time.monotonic())
        elif code == "not_registered":
            self._send(self._session.hello())
        elif code == "output_dropped":
            self._to_fetch.update(t.task_id for t in self._tasks.values()
                                  if t.state == "accepted")
            self._to_fetch.update(self._fetchers)
            for waiting in self._requests.values():
                for cmd, body, _future in waiting:
                    self._sends.append(frames(cmd, body))
        elif e["answers"] is not None:
            error = BrokerError(code, e["message"])
            answered = e["answers"]
            for key in [k for k, v in self._requests.items() if v and v[0][0] == answered]:
                for _cmd, _body, future in self._requests.pop(key):
                    future.set_exception(error)
            if answered == Cmd.SUBMIT:
                for task in [t for t in self._tasks.values() if t.state == "sent"]:
                    del self._tasks[task.task_id]
                    task.future.resolve(exception=TaskRefused(code, e["message"]))
        else:
            _log(f"broker error {code}: {e['message']}")

    def _answer(self, key, value):
        waiting = self._requests.get(key)
        if waiting:
            _cmd, _body, future = waiting.pop(0)
            if not waiting:
                del self._requests[key]
            if not future.done():
                future.set_result(value)

    def _timer(self, when, kind, arg):
        heapq.heappush(self._timers, (when, next(self._seq), kind, arg))

    def _maintain(self, now):
        action = self._session.due(now)
        if action == "connect":
            self._connect()
        elif action == "heartbeat":
            self._send(self._session.heartbeat())
        while self._timers and self._timers[0][0] <= now:
            _, _, kind, arg = heapq.heappop(self._timers)
            self._on_timer(now, kind, arg)

    def _on_timer(self, now, kind, arg):
        if kind == "fetch_deferred":
            self._to_fetch.update(i for i in arg if i in self._tasks or i in self._fetchers)
            return
        if kind == "check":
            ids, interval = arg
            still = tuple(i for i in ids if getattr(self._tasks.get(i), "state", "") == "accepted")
            if still:
                self._to_fetch.update(still)
                interval = min(interval * 2, self._result_check_max)
                self._timer(now + interval, "check", (still, interval))
            return
        for task_id in arg:
            task = self._tasks.get(task_id)
            if task is None:
                continue
            if kind == "resend" and task.state == "busy":
                task.state = "new"
                self._outbox.append(task)
            elif (kind == "ack" and task.state == "sent"
                  and now - task.sent_at >= self._ack_timeout):
                task.state = "new"
                self._outbox.append(task)

    def _next_deadline(self, now):
        deadline = self._session.wait_s(now)
        if self._timers:
            deadline = min(deadline, max(0.0, self._timers[0][0] - now))
        return deadline

    def _flush(self):
        if not self._session.welcomed:
            return
        # Submits first: a REVOKE or FETCH posted after a submit names a task the broker must
        # already have read.
        if self._outbox:
            self._send_submits()
        sends, self._sends = self._sends, []
        for parts in sends:
            self._send(parts)
        if self._to_fetch:
            ids = list(self._to_fetch)
            self._to_fetch.clear()
            batch = self._session.settings["max_batch"]
            for start in range(0, len(ids), batch):
                self._send(frames(Cmd.FETCH, _wire.fetch(ids[start:start + batch])))

    def _send_submits(self):
        settings = self._session.settings
        max_bytes = settings["max_message_bytes"] - 4096
        max_batch = settings["max_batch"]
        now = time.monotonic()
        outbox, self._outbox = self._outbox, []
        batch, size = [], 16
        for task in outbox:
            if task.state != "new" or self._tasks.get(task.task_id) is not task:
                continue
            if batch and (len(batch) >= max_batch or size + task.size() > max_bytes):
                self._submit_batch(batch, now)
                batch, size = [], 16
            batch.append(task)
            size += task.size()
        if batch:
            self._submit_batch(batch, now)

    def _submit_batch(self, batch, now):
        self._send(frames(Cmd.SUBMIT, _wire.submit([t.wire() for t in batch])))
        for task in batch:
            task.state = "sent"
            task.sent_at = now
        self._timer(now + self._ack_timeout, "ack", tuple(t.task_id for t in batch))

    def _shutdown(self):
        try:
            if self._session.welcomed:
                self._send(frames(Cmd.BYE, _wire.bye("client closing")))
        finally:
            self._socket.close(0)
        closed = ClientClosed("the client closed before the task's result arrived")
        for task in self._tasks.values():
            task.future.resolve(exception=closed)
        for futures in self._fetchers.values():
            for future in futures:
                future.resolve(exception=closed)
        for waiting in self._requests.values():
            for _cmd, _body, future in waiting:
                if not future.done():
                    future.set_exception(closed)


def _as_id(task):
    if isinstance(task, TaskFuture):
        return task.task_id
    if isinstance(task, bytes) and len(task) == 16:
        return task
    if isinstance(task, str):
        raw = bytes.fromhex(task.replace("-", ""))
        if len(raw) == 16:
            return raw
    raise ValueError(f"not a task id: {task!r}")


def _log(text):
    logging.getLogger("shoal.client").warning("%s", text)
