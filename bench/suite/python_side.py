"""The `python` figure: Shoal's pure-Python client (clients/python) against a real shoal-broker
and two workers, either C++ shoal-workers with the seed tasks or Python workers
(`python3 -m shoal.worker` with bench/cluster/shoal_python_tasks.py); the client side is
bench/cluster/python_client_bench.py. Both run under Debian's /usr/bin/python3, the only
interpreter here with python3-zmq and python3-msgpack."""

import os

import shoal_side
from procs import Proc, run_json

PYTHON = "/usr/bin/python3"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CLUSTER_DIR = os.path.join(ROOT, "bench", "cluster")
CLIENT = os.path.join(CLUSTER_DIR, "python_client_bench.py")
TASKS_MODULE = "shoal_python_tasks"  # in CLUSTER_DIR, the Python workers' working directory
# The two kinds of worker the Python client is measured against.
WORKERS = ("cpp", "python")


def python_env(endpoint=None):
    # The package from the source tree, as the conformance suite runs it; no __pycache__ left
    # in clients/python or bench/cluster.
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clients", "python"), PYTHONDONTWRITEBYTECODE="1")
    if endpoint:
        env["SHOAL_BROKER"] = endpoint
    return env


def start_python_workers(cluster, workers, worker_args):
    """`workers` Python workers for the cluster's broker, one thread each as the C++ ones have;
    they join cluster.workers, so that cluster.stop() stops them (SIGTERM: they drain)."""
    for i in range(workers):
        log = open(os.path.join(cluster.logs, f"python-worker-{i}.log"), "w")
        cluster.workers.append(Proc([PYTHON, "-m", "shoal.worker", "--broker", cluster.endpoint,
                                     "--name", f"bench-py-{i}", "--threads", "1", "--log-level", "warning",
                                     *worker_args, TASKS_MODULE],
                                    stderr=log, env=python_env(), cwd=CLUSTER_DIR))
    try:
        cluster.wait_registered(workers)
    except RuntimeError as e:
        raise RuntimeError(f"{e} (log: {cluster._tail('python-worker-0.log')})") from None


def cluster(build, kind, worker_args, workers=2):
    if kind == "cpp":
        return shoal_side.Cluster(build, workers=workers, worker_args=worker_args)
    c = shoal_side.Cluster(build, workers=0)
    try:
        start_python_workers(c, workers, worker_args)
    except BaseException:
        c.stop()
        raise
    return c


def client(c, mode, n, timeout_s=600):
    return run_json([PYTHON, CLIENT, mode, str(n)], timeout_s, env=python_env(c.endpoint))


def throughput(build, tasks, kind):
    # Wide workers, as for the C++ client's no-op throughput: the broker is never waited for.
    with cluster(build, kind, shoal_side.WIDE) as c:
        return client(c, "throughput", tasks)


def latency(build, round_trips, kind):
    # Workers as for the C++ client's round trips (the defaults: one slot, a few prefetched).
    with cluster(build, kind, ()) as c:
        return client(c, "latency", round_trips)
