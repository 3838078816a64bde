"""The peers' side of every figure: bench/peers/<peer>_peer.py (Celery, Dask, RQ) run with
/usr/bin/python3, each keeping the contract in bench/peers/README.md."""

import os

from procs import run_json

PYTHON = "/usr/bin/python3"
PEERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers")

# Each peer's worker configurations: Celery prefork (one worker, concurrency W) and solo (W
# worker processes); RQ's SimpleWorker and its default forking Worker; Dask has one kind. The
# quick run uses only the first of each: Celery's default, and RQ's faster one.
POOLS = {"celery": ["prefork", "solo"], "dask": [None], "rq": ["simple", "fork"]}
NEEDS_REDIS = {"celery": True, "dask": False, "rq": True}
# The peers with a `dag` subcommand (the DAG figure): Dask's dask.delayed and Celery's chord of
# chords. RQ has no dataflow: its depends_on orders jobs but passes no results as arguments.
DAG_PEERS = ("celery", "dask")


class Peer:
    def __init__(self, name, redis=None):
        self.name = name
        self.redis = redis
        self.script = os.path.join(PEERS_DIR, f"{name}_peer.py")

    def run(self, subcommand, limit_s, pool=None, **options):
        argv = [PYTHON, self.script, subcommand, "--limit-s", str(limit_s)]
        if pool:
            argv += ["--pool", pool]
        if NEEDS_REDIS[self.name]:
            self.redis.cli("flushall")
            argv += ["--redis", self.redis.url]
        for key, value in options.items():
            argv += [f"--{key.replace('_', '-')}", str(value)]
        # The scripts bound themselves by --limit-s; this bounds the scripts.
        return run_json(argv, limit_s + 60, cwd=PEERS_DIR)
