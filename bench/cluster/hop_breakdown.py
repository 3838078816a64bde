#!/usr/bin/env python3
"""Joins the hop timestamps (DIR/hops-PID.tsv: task id, hop, CLOCK_MONOTONIC ns) written by a
-DSHOAL_HOP_TRACE=ON build's processes, and prints each hop's median and p99 in microseconds,
in round-trip order, beside the bare relay's round trip (bench/cluster/hops.sh).

    hop_breakdown.py DIR [--relay relay.json] [--latency latency.json] [--json]

Only tasks seen at every hop count (the client's warm-up round trips too: the first 200 are
left out). Every process runs on this machine, so one monotonic clock orders them all.
"""

import argparse
import collections
import glob
import json
import os
import sys

HOPS = ["caller_submit", "client_send", "broker_submit", "broker_dispatch", "worker_dispatch",
        "task_start", "task_end", "worker_done", "broker_done", "broker_result", "client_result",
        "caller_result"]
# What happens between one hop and the next, as the breakdown's rows name it.
WHAT = {
    "client_send": "client: caller thread -> I/O thread, encode SUBMIT",
    "broker_submit": "network: client -> broker (ZeroMQ, loopback)",
    "broker_dispatch": "broker: admit, queue, pick a worker",
    "worker_dispatch": "network: broker -> worker, then link thread -> task loop",
    "task_start": "worker: accept, start the job",
    "task_end": "the task itself (add on the loop)",
    "worker_done": "worker: record the outcome, build DONE",
    "broker_done": "network: task loop -> link thread, then worker -> broker",
    "broker_result": "broker: the outcome to its client's RESULT",
    "client_result": "network: broker -> client I/O thread",
    "caller_result": "client: I/O thread -> caller wakes with the value",
}


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def read(directory):
    stamps = collections.defaultdict(dict)
    for path in glob.glob(os.path.join(directory, "hops-*.tsv")):
        with open(path) as f:
            for line in f:
                task, hop, ns = line.split("\t")
                seen = stamps[task]
                # The first time a hop is passed (a resent task passes some again, later),
                # whichever process's file is read first.
                seen[hop] = min(int(ns), seen.get(hop, int(ns)))
    return stamps


def breakdown(stamps, skip=200):
    complete = [s for s in stamps.values() if all(h in s for h in HOPS)]
    complete.sort(key=lambda s: s["caller_submit"])
    complete = complete[skip:] if len(complete) > 2 * skip else complete
    rows = []
    for before, after in zip(HOPS, HOPS[1:]):
        deltas = [(s[after] - s[before]) / 1000 for s in complete]
        rows.append({"hop": after, "what": WHAT[after], "p50_us": percentile(deltas, 0.5),
                     "p99_us": percentile(deltas, 0.99)})
    totals = [(s["caller_result"] - s["caller_submit"]) / 1000 for s in complete]
    return {"tasks": len(complete), "rows": rows, "total_p50_us": percentile(totals, 0.5),
            "total_p99_us": percentile(totals, 0.99)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--relay", help="zmq_relay client's JSON (p50_us, p99_us)")
    parser.add_argument("--latency", help="cluster_client latency's JSON")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = breakdown(read(args.directory))
    if result["tasks"] == 0:
        sys.exit("hop_breakdown: no task passed every hop (was the build -DSHOAL_HOP_TRACE=ON?)")
    relay = json.load(open(args.relay)) if args.relay else None
    latency = json.load(open(args.latency)) if args.latency else None
    result["relay"] = relay and {k: relay[k] for k in ("p50_us", "p99_us") if k in relay}
    result["measured"] = latency and {k: latency[k] for k in ("p50_us", "p99_us")}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    total = result["total_p50_us"]
    print(f"{result['tasks']} round trips, every hop stamped; medians and p99s in us")
    print(f"| {'from the hop before to':<18} | {'what happens':<58} | {'p50':>7} | {'p99':>7} | "
          f"{'share':>5} |")
    print(f"|{'-' * 20}|{'-' * 60}|{'-' * 9}|{'-' * 9}|{'-' * 7}|")
    for r in result["rows"]:
        print(f"| {r['hop']:<18} | {r['what']:<58} | {r['p50_us']:7.1f} | {r['p99_us']:7.1f} | "
              f"{100 * r['p50_us'] / total:4.0f}% |")
    print(f"| {'round trip':<18} | {'caller_submit -> caller_result':<58} | {total:7.1f} | "
          f"{result['total_p50_us'] and result['total_p99_us']:7.1f} |       |")
    if result["measured"]:
        m = result["measured"]
        print(f"cluster_client's own measure: p50 {m['p50_us']:.1f} us, p99 {m['p99_us']:.1f} us")
    if result["relay"]:
        r = result["relay"]
        print(f"bare ZeroMQ relay, same run: p50 {r['p50_us']:.1f} us, p99 {r['p99_us']:.1f} us "
              f"(Shoal {total / r['p50_us']:.2f}x at p50)")


if __name__ == "__main__":
    main()
