"""The job functions of the RQ peer (bench/peers/rq_peer.py): the shared bodies of
task_bodies.py. The `rq worker` processes import them by module and name, so bench/peers must be
on their PYTHONPATH; rq_peer.py sets that up."""

from task_bodies import COUNT_LOOP, add, count, noop, sleep, spin

__all__ = ["COUNT_LOOP", "add", "count", "noop", "sleep", "spin"]
