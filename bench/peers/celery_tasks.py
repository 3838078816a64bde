"""The Celery app and task bodies of the Celery peer (bench/peers/celery_peer.py).

Imported by the peer (the client) and by the `celery -A celery_tasks worker` processes the
peer starts with cwd = bench/peers. Broker and result backend are the same Redis database,
whose URL the peer passes in the environment as SHOAL_BENCH_CELERY_REDIS.

The configuration is Celery's best honest one for these figures: JSON only, early acks
(task_acks_late False), no task events, no "started" state, results kept an hour; see
BenchCelery for the one change a gevent worker gets. The prefetch multiplier is a worker
command-line option (--prefetch-multiplier), set per figure by the peer.
"""

import os
import time

from celery import Celery

REDIS_URL = os.environ.get("SHOAL_BENCH_CELERY_REDIS", "redis://127.0.0.1:6379/0")
SHARED_BACKEND = os.environ.get("SHOAL_BENCH_CELERY_SHARED_BACKEND") == "1"


class BenchCelery(Celery):
    """Celery, plus later Celery's `result_backend_thread_safe = True` for Celery 5.2.6.

    Celery 5.2.6 keeps app.backend in a threading.local. In a `--pool gevent` worker each
    greenlet is a "thread", so every task builds a new result backend: it rescans every
    installed distribution's entry points (about 10 ms of CPU here) and opens a new Redis
    connection pool (celery/celery#6819, #7960). Later Celery added the setting
    result_backend_thread_safe to share one backend instead (5.2.6 has no such setting);
    with SHOAL_BENCH_CELERY_SHARED_BACKEND=1 this app does the
    same (one backend per process; redis-py's connection pool is safe to share). The peer
    sets it for its gevent worker only; prefork and solo workers run one task at a time per
    process and build one backend either way.
    """

    _shared_backend = None

    @property
    def backend(self):
        if not SHARED_BACKEND:
            return super().backend
        if self._shared_backend is None:
            self._shared_backend = self._get_backend()
        return self._shared_backend


app = BenchCelery("celery_tasks", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=False,
    task_track_started=False,
    task_send_sent_event=False,
    worker_send_task_events=False,
    task_ignore_result=False,
    result_expires=3600,
    result_extended=False,
    broker_connection_retry=True,
    broker_connection_max_retries=3,
    worker_hijack_root_logger=True,
    worker_redirect_stdouts=False,
    enable_utc=True,
)

COUNT_LOOP = 10_000_000  # seed 002's count example


@app.task(name="noop")
def noop():
    return None


@app.task(name="add")
def add(a, b):
    return a + b


@app.task(name="count")
def count(number):
    # Seed 002: `for i in range(0, 10000000): i = i + 1` then `return i * number`.
    for i in range(0, COUNT_LOOP):
        i = i + 1
    return i * number


@app.task(name="sleep")
def sleep(seconds):
    # time.sleep is gevent's sleep in a `--pool gevent` worker (celery monkey-patches it).
    time.sleep(seconds)
    return seconds


@app.task(name="spin")
def spin(seconds):
    # Busy-waits `seconds` on time.perf_counter(), holding the CPU.
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    return seconds


@app.task(name="sum_list")
def sum_list(values):
    # The DAG figure's chord callback: the sum of the header's results (a list).
    return sum(values)
