"""python3 -m shoal.worker: runs the @shoal.task functions of Python modules for a broker.

    python3 -m shoal.worker --broker tcp://127.0.0.1:5555 myapp.tasks

The worker speaks SHOAL/1 as the C++ shoal-worker does (PROTOCOL.md sections 6 and 7): it
offers its tasks' names, holds at most slots + prefetch tasks (credit), tells the broker what
it started, heartbeats and reconnects, reports every task it was given exactly once in DONE,
and drains on SIGTERM (hands back what it holds, finishes what runs within --grace, says BYE).
Where a task runs: `async def` on the worker's asyncio loop, a plain function on its thread
pool, `@shoal.task(process=True)` on its process pool.
"""

import argparse
import asyncio
import builtins
import collections
import concurrent.futures
import concurrent.futures.process
import contextvars
import importlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time

import zmq
import zmq.asyncio

from . import _wire
from ._link import Keys, Session, frames, open_dealer, read_messages
from ._wire import Cmd, ProtocolError
from .tasks import Retry, SoftTimeLimitExceeded, TaskContext, _current, registered

log = logging.getLogger("shoal.worker")


class _Failure(Exception):
    """A failure the worker itself reports under a shoal:: type."""

    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_
        self.message = message

    def __reduce__(self):  # from a process-pool child
        return (_Failure, (self.type, self.message))


def error_type_name(e):
    """Built-in exceptions by their bare name (`ValueError`), others as module.QualName."""
    cls = type(e)
    if cls.__module__ == "builtins" or getattr(builtins, cls.__name__, None) is cls:
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


# ---- the process pool's side (runs in the children) ----

def _child_init(modules):
    for name in modules:
        importlib.import_module(name)


def _child_call(name, args):
    definition = registered().get(name)
    if definition is None:
        raise _Failure("shoal::unknown_task", f"no task '{name}' in this worker's child")
    return definition.fn(*args)


class _Job:
    __slots__ = ("task_id", "name", "payload", "attempt", "options", "handle", "context",
                 "revoked", "started_at")

    def __init__(self, task_id, name, payload, attempt, options):
        self.task_id, self.name, self.payload = task_id, name, payload
        self.attempt, self.options = attempt, options
        self.handle = None
        self.context = None
        self.revoked = False
        self.started_at = 0.0


class Worker:
    def __init__(self, broker, *, modules=(), threads=None, processes=None, concurrency=None,
                 prefetch=None, name=None, queues=("default",), broker_key=None, key=None,
                 grace=30.0):
        self.broker = broker
        self.modules = list(modules)
        for module in self.modules:
            importlib.import_module(module)
        self.tasks = registered()
        if not self.tasks:
            raise SystemExit("shoal.worker: the modules define no @shoal.task")
        cpus = os.cpu_count() or 1
        self.threads = cpus if threads is None else threads
        wants_processes = any(t.place == "process" for t in self.tasks.values())
        self.processes = (cpus if wants_processes else 0) if processes is None else processes
        self.slots = concurrency or max(1, self.threads + self.processes)
        self.prefetch = 4 * self.slots if prefetch is None else prefetch
        self.name = name or f"worker-{os.getpid()}@{socket.gethostname()}"
        self.queues = list(queues) or ["default"]
        self.grace = grace
        self._keys = Keys.load(broker_key, key)
        details = [self.slots, self.prefetch, sorted(self.tasks), self.queues]
        self._session = Session(_wire.hello("worker", self.name, details), self.broker)
        self._held = collections.deque()  # dispatched, not started
        self._running = {}                # task_id -> _Job
        self._started = []                # (task_id, attempt) to tell in STARTED
        self._finished = []               # (outcome, attempt, countdown_ms, runtime_us)
        self._credit_back = 0             # credit of entries answered without running
        self._flush_scheduled = False
        self._draining = False
        self._signals = 0
        self._stopped = None
        self._thread_pool = None
        self._process_pool = None

    # ---- run ----

    async def run(self):
        """Serves until drained (SIGTERM, SIGINT) or stop(); returns the exit status."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = loop.create_future()
        self._ctx = zmq.asyncio.Context()
        if self.threads:
            self._thread_pool = concurrent.futures.ThreadPoolExecutor(
                self.threads, thread_name_prefix="shoal-task")
        self._new_process_pool()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        self._socket = None
        self._connect()
        log.info("%s: %d tasks (%s), %d slots, prefetch %d, broker %s", self.name,
                 len(self.tasks), ", ".join(sorted(self.tasks)), self.slots, self.prefetch,
                 self.broker)
        io = asyncio.ensure_future(self._io())
        try:
            return await self._stopped
        finally:
            io.cancel()
            try:
                await io
            except asyncio.CancelledError:
                pass
            self._socket.close(0)
            self._ctx.term()
            if self._thread_pool:
                self._thread_pool.shutdown(wait=False, cancel_futures=True)
            if self._process_pool:
                self._process_pool.shutdown(wait=False, cancel_futures=True)

    def stop(self):
        if not self._stopped.done():
            self._stopped.set_result(0)

    def _new_process_pool(self):
        if self.processes:
            self._process_pool = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("forkserver"),
                initializer=_child_init, initargs=(self.modules,))

    def _connect(self):
        self._socket = open_dealer(self._ctx, self._session.endpoint, self._keys,
                                   replacing=self._socket)
        self._send(self._session.hello())

    def _send(self, parts):
        future = self._socket.send_multipart(parts, copy=False)
        future.add_done_callback(_log_send_failure)
        self._session.sent()

    async def _io(self):
        while True:
            timeout = self._session.wait_s(time.monotonic())
            events = await self._socket.poll(max(1, int(timeout * 1000)), zmq.POLLIN)
            if events:
                self._receive()
            self._maintain(time.monotonic())

    def _receive(self):
        read_messages(lambda: self._socket.recv_multipart(flags=zmq.NOBLOCK).result(),
                      self._session, self._on_welcome, self._on_message, self._send, 1000)

    def _maintain(self, now):
        action = self._session.due(now)
        if action == "connect":
            self._connect()
        elif action == "lost":
            log.warning("the broker is silent: reconnecting")
            self._lose_session()
        elif action == "heartbeat":
            self._send(self._session.heartbeat())

    def _lose_session(self):
        """The broker re-queues what this worker held: tasks not started are dropped here."""
        dropped = len(self._held)
        self._held.clear()
        self._started.clear()
        if dropped:
            log.info("dropped %d held tasks the broker gives to others", dropped)

    def _on_welcome(self):
        if self._draining:
            self._send(frames(Cmd.DRAIN, _wire.drain([])))
            return
        credit = max(0, self.slots + self.prefetch - len(self._running))
        self._send(frames(Cmd.READY, _wire.ready(credit)))
        self._credit_back = 0
        log.info("welcomed by %s: credit %d", self.broker, credit)

    def _on_message(self, cmd, body):
        if cmd == Cmd.DISPATCH:
            self._on_dispatch(*_wire.read_dispatch(body))
        elif cmd == Cmd.CANCEL:
            self._on_cancel(*_wire.read_id_list(body, "CANCEL"))
        elif cmd == Cmd.ERROR:
            e = _wire.read_error_reply(body)
            if e["code"] == "not_active":
                log.info("broker %s: %s; trying the next", self._session.endpoint, e["message"])
                self._lose_session()
                self._session.move_on(time.monotonic())
            elif e["code"] == "not_registered":
                self._lose_session()
                self._send(self._session.hello())
            else:
                log.warning("broker error %s: %s", e["code"], e["message"])
        elif cmd == Cmd.BYE:
            # Closing, or it gave its lease up: the next broker of the list now.
            log.info("the broker said BYE")
            self._lose_session()
            self._session.move_on(time.monotonic())

    # ---- tasks ----

    def _on_dispatch(self, good, malformed, unidentified):
        jobs = [_Job(*entry) for entry in good]
        if self._draining:
            self._send(frames(Cmd.DRAIN, _wire.drain([(j.task_id, j.attempt) for j in jobs])))
            jobs = []
        self._held.extend(jobs)
        for task_id, attempt, problem in malformed:
            self._finish(task_id, attempt, (task_id, "failed", ("shoal::bad_task", problem,
                                                                 self.name)), None, 0)
        if unidentified:
            log.warning("dropped %d DISPATCH entries without a readable id", unidentified)
            self._credit_back += unidentified
            self._schedule_flush()
        self._start_more()

    def _start_more(self):
        while self._held and len(self._running) < self.slots:
            job = self._held.popleft()
            job.context = TaskContext(job.task_id.hex(), job.name, job.attempt, self.name)
            job.started_at = time.perf_counter()
            self._running[job.task_id] = job
            self._started.append((job.task_id, job.attempt))
            job.handle = asyncio.ensure_future(self._execute(job))
            self._schedule_flush()

    def _on_cancel(self, ids, terminate):
        wanted = set(ids)
        for job in [j for j in self._held if j.task_id in wanted]:
            self._held.remove(job)
            self._finish(job.task_id, job.attempt,
                         (job.task_id, "revoked", ("shoal::revoked", "revoked before it started",
                                                   self.name)), None, 0)
        for task_id in wanted:
            job = self._running.get(task_id)
            if job is None:
                continue
            job.revoked = True
            job.context.request_stop()
            if self.tasks.get(job.name) and self.tasks[job.name].place == "loop":
                job.handle.cancel()

    async def _execute(self, job):
        countdown = None
        token = _current.set(job.context)
        try:
            value = await self._call(job)
            try:
                outcome = (job.task_id, "ok", _wire.pack(value))
            except (TypeError, ValueError, OverflowError) as e:
                outcome = self._failed(job, "shoal::result_error",
                                       f"{job.name}: the result cannot be msgpack: {e}")
        except Retry as r:
            outcome = self._failed(job, "shoal::retry", r.reason)
            if r.countdown is not None:
                countdown = max(0, round(r.countdown * 1000))
        except asyncio.CancelledError:
            if not job.revoked:
                raise
            outcome = (job.task_id, "revoked", ("shoal::revoked", "revoked while it ran",
                                                self.name))
        except _Failure as f:
            outcome = self._failed(job, f.type, f.message)
        except SoftTimeLimitExceeded as e:
            outcome = self._failed(job, "shoal::soft_time_limit_exceeded", str(e) or job.name)
        except concurrent.futures.process.BrokenProcessPool as e:
            outcome = self._failed(job, "shoal::broken_process_pool", str(e))
            self._new_process_pool()
        except Exception as e:  # noqa: BLE001 - a task's failure is data for its caller
            outcome = self._failed(job, error_type_name(e), str(e))
        finally:
            _current.reset(token)
        runtime_us = int((time.perf_counter() - job.started_at) * 1e6)
        self._running.pop(job.task_id, None)
        self._finish(job.task_id, job.attempt, outcome, countdown, runtime_us)
        self._start_more()

    def _failed(self, job, type_, message):
        return (job.task_id, "failed", (type_, message, self.name))

    async def _call(self, job):
        definition = self.tasks.get(job.name)
        if definition is None:
            raise _Failure("shoal::unknown_task", f"this worker offers no task '{job.name}'")
        try:
            args = _wire.unpack(job.payload)
        except ProtocolError as e:
            raise _Failure("shoal::argument_error", f"the argument list: {e.message}") from None
        if not isinstance(args, list):
            raise _Failure("shoal::argument_error", f"arguments of '{job.name}' must be an array")
        if job.options.get("chunk"):
            if len(args) != 1 or not isinstance(args[0], list) or not all(
                    isinstance(c, list) for c in args[0]):
                raise _Failure("shoal::argument_error",
                               "a chunk's one argument is the list of its calls' argument arrays")
            return [await self._call_one(definition, job, call) for call in args[0]]
        return await self._call_one(definition, job, args)

    async def _call_one(self, definition, job, args):
        try:
            definition.signature.bind(*args)
        except TypeError as e:
            raise _Failure("shoal::argument_error", f"{job.name}: {e}") from None
        hard = job.options.get("time_limit_ms")
        soft = job.options.get("soft_time_limit_ms")
        loop = self._loop
        if definition.place == "loop":
            limit = min(x for x in (hard, soft, float("inf")) if x is not None)
            if limit == float("inf"):
                return await definition.fn(*args)
            try:
                return await asyncio.wait_for(definition.fn(*args), limit / 1000)
            except asyncio.TimeoutError:
                kind = "soft_" if soft is not None and soft <= (hard or soft) else ""
                raise _Failure(f"shoal::{kind}time_limit_exceeded",
                               f"{job.name} ran past its {kind.replace('_', ' ')}time limit of "
                               f"{limit} ms") from None
        if definition.place == "thread":
            ctx = contextvars.copy_context()
            future = loop.run_in_executor(self._thread_pool, ctx.run, definition.fn, *args)
        else:
            future = loop.run_in_executor(self._process_pool, _child_call, definition.name, args)
        stopper = None
        if soft is not None:
            stopper = loop.call_later(soft / 1000, job.context.request_stop)
        try:
            if hard is None:
                return await future
            try:
                return await asyncio.wait_for(asyncio.shield(future), hard / 1000)
            except asyncio.TimeoutError:
                raise _Failure("shoal::time_limit_exceeded",
                               f"{job.name} ran past its time limit of {hard} ms (its "
                               f"{definition.place} goes on: Python cannot stop it)") from None
        finally:
            if stopper is not None:
                stopper.cancel()

    def _finish(self, task_id, attempt, outcome, countdown, runtime_us):
        self._finished.append((outcome, attempt, countdown, runtime_us))
        self._schedule_flush()

    def _schedule_flush(self):
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self):
        """Once per pass of the loop: one STARTED, then DONE in batches under the limits."""
        self._flush_scheduled = False
        if not self._session.welcomed:
            return  # kept: a new session's broker ignores late DONEs of re-queued attempts
        finished_ids = {o[0][0] for o in self._finished}
        started = [s for s in self._started if s[0] not in finished_ids]
        self._started = []
        if started:
            self._send(frames(Cmd.STARTED, _wire.started(started)))
        finished, self._finished = self._finished, []
        settings = self._session.settings
        limit_bytes = settings["max_message_bytes"] // 2
        batch, size = [], 0
        for entry in finished:
            entry_size = 64 + len(entry[0][2]) if entry[0][1] == "ok" else 256
            if batch and (len(batch) >= settings["max_batch"] or size + entry_size > limit_bytes):
                self._send_done(batch)
                batch, size = [], 0
            batch.append(entry)
            size += entry_size
        if batch or self._credit_back:
            self._send_done(batch)
        if self._draining and not self._running and not self._finished:
            self._leave()

    def _send_done(self, batch):
        credit = 0 if self._draining else len(batch) + self._credit_back
        self._credit_back = 0
        body = _wire.done([(o, a, c) for o, a, c, _ in batch], credit, [r for *_, r in batch])
        self._send(frames(Cmd.DONE, body))

    # ---- draining ----

    def _on_signal(self, sig):
        self._signals += 1
        if self._signals > 1:
            os._exit(128 + sig)
        log.info("%s: draining (%d running, %d held handed back)", signal.Signals(sig).name,
                 len(self._running), len(self._held))
        self._draining = True
        held = [(j.task_id, j.attempt) for j in self._held]
        self._held.clear()
        if self._session.welcomed:
            self._send(frames(Cmd.DRAIN, _wire.drain(held)))
        self._loop.call_later(self.grace, self._leave)
        if not self._running:
            self._leave()

    def _leave(self):
        if self._stopped.done():
            return
        if self._running:
            log.warning("grace ended with %d tasks running: they are the broker's again",
                        len(self._running))
        if self._session.welcomed:
            self._send(frames(Cmd.BYE, _wire.bye("drained")))
        # Let the BYE leave before the socket closes.
        self._loop.call_later(0.2, self.stop)


def _log_send_failure(future):
    if not future.cancelled() and future.exception() is not None:
        log.warning("a send to the broker failed: %s", future.exception())


def main(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python3 -m shoal.worker",
        description="Runs the @shoal.task functions of MODULES for a Shoal broker. SIGTERM or "
                    "SIGINT drains (hands back held tasks, finishes running ones within "
                    "--grace, exits 0); a second one exits at once.")
    parser.add_argument("modules", nargs="+", metavar="MODULE",
                        help="modules to import (their @shoal.task functions are offered)")
    parser.add_argument("-b", "--broker", default=env("SHOAL_BROKER", "tcp://127.0.0.1:5555"),
                        help="the broker's endpoint [env SHOAL_BROKER]")
    parser.add_argument("--broker-key", default=env("SHOAL_BROKER_KEY"),
                        help="the broker's public key file (CURVE; needs --key)")
    parser.add_argument("--key", default=env("SHOAL_KEY"),
                        help="this worker's secret key file (NAME.key_secret)")
    parser.add_argument("--threads", type=int, help="thread-pool threads (default: CPUs)")
    parser.add_argument("--processes", type=int,
                        help="process-pool children (default: CPUs if a task asks for one)")
    parser.add_argument("-c", "--concurrency", type=int,
                        help="slots: tasks run at once (default: threads + processes)")
    parser.add_argument("--prefetch", type=int,
                        help="tasks held beyond the slots (default: 4 per slot)")
    parser.add_argument("-n", "--name", help="worker name (default: worker-PID@HOST)")
    parser.add_argument("-Q", "--queues", default=env("SHOAL_QUEUES", "default"),
                        help="queues to take tasks from, comma-separated (default: default)")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="seconds a drain may take (default 30)")
    parser.add_argument("-l", "--log-level", default=env("SHOAL_LOG_LEVEL", "info"),
                        help="debug, info, warning, error")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="[%(asctime)s] [shoal.worker] [%(levelname)s] %(message)s")
    sys.path.insert(0, os.getcwd())
    worker = Worker(args.broker, modules=args.modules, threads=args.threads,
                    processes=args.processes, concurrency=args.concurrency,
                    prefetch=args.prefetch, name=args.name,
                    queues=[q for q in args.queues.split(",") if q],
                    broker_key=args.broker_key, key=args.key, grace=args.grace)
    return asyncio.run(worker.run())


if __name__ == "__main__":
    sys.exit(main())
