#!/usr/bin/python3
"""The Python client's side of bench/run's `python` figure: what cluster_client does for the C++
client, with shoal.Client (clients/python), against whatever workers the broker has.

    SHOAL_BROKER=tcp://127.0.0.1:PORT /usr/bin/python3 bench/cluster/python_client_bench.py throughput N
    SHOAL_BROKER=tcp://127.0.0.1:PORT /usr/bin/python3 bench/cluster/python_client_bench.py latency N

    throughput N   N no-op tasks submitted with one client.map call, every result awaited;
                   tasks/s from the submit to the last result
    latency N      N sequential round trips of add(1, 2), each result() awaited and checked;
                   p50/p99/p999 and every sample (us)

One JSON object on stdout; exit 0 only if every result was right. Debian's /usr/bin/python3
(python3-zmq, python3-msgpack); the client package is found in clients/python.
"""

import concurrent.futures
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

import shoal  # noqa: E402

# cluster_client's warm-ups: a batch (connections, the workers' pools, the allocators) and the
# round trips before the counted ones.
WARM_UP_TASKS = 2000
WARM_UP_ROUND_TRIPS = 200
WAIT_S = 600


def versions():
    import msgpack
    import zmq
    return {"python": ".".join(map(str, sys.version_info[:3])), "pyzmq": zmq.__version__,
            "libzmq": zmq.zmq_version(), "msgpack": ".".join(map(str, msgpack.version))}


def failures(futures):
    """Futures not done within WAIT_S or done with an error."""
    done, pending = concurrent.futures.wait(futures, timeout=WAIT_S)
    return len(pending) + sum(1 for f in done if f.exception() is not None)


def throughput(client, n):
    if failures(client.map("noop", [()] * WARM_UP_TASKS)):
        raise SystemExit("python_client_bench throughput: the warm-up failed")
    cpu = time.process_time()
    start = time.perf_counter()
    # One map() call, not cluster_client's chunks of 20,000: each chunk's futures are built while
    # the I/O thread sends the last one, both holding the GIL in turn, and 100,000 tasks took
    # 20-40% longer in chunks (5,000 or 20,000) than in one call here.
    futures = client.map("noop", [()] * n)
    submit_s = time.perf_counter() - start
    failed = failures(futures)
    took = time.perf_counter() - start
    return {"tasks": n, "seconds": round(took, 4), "tasks_per_s": round(n / took), "failed": failed,
            "submit_s": round(submit_s, 4), "client_cpu_s": round(time.process_time() - cpu, 3)}


def percentile(ordered, q):
    """Nearest rank, as the peers compute theirs (bench/peers/peer_common.py)."""
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def latency(client, n):
    samples = []
    for i in range(n + WARM_UP_ROUND_TRIPS):
        start = time.perf_counter()
        if client.submit("add", 1, 2).result(30) != 3:
            raise SystemExit("python_client_bench latency: add(1, 2) did not return 3")
        if i >= WARM_UP_ROUND_TRIPS:
            samples.append((time.perf_counter() - start) * 1e6)
    ordered = sorted(samples)
    return {"round_trips": n, "p50_us": round(percentile(ordered, 0.5), 2),
            "p99_us": round(percentile(ordered, 0.99), 2), "p999_us": round(percentile(ordered, 0.999), 2),
            "samples_us": [round(s, 2) for s in samples]}


def main(argv):
    if len(argv) != 3 or argv[1] not in ("throughput", "latency") or not argv[2].isdigit() or int(argv[2]) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    mode, n = argv[1], int(argv[2])
    with shoal.Client(os.environ.get("SHOAL_BROKER")) as client:
        out = throughput(client, n) if mode == "throughput" else latency(client, n)
    out["client"] = versions()
    print(json.dumps(out), flush=True)
    return 0 if not out.get("failed") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
