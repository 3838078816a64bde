#!/usr/bin/env python3
"""The conformance scenarios through the Python client (tests/conformance/README.md).

    python_client.py --broker ENDPOINT --scratch DIR [--timeout SECONDS] SCENARIO

Prints one JSON object; exit 0 when the scenario ran to its end, whatever the tasks answered.
"""

import argparse
import concurrent.futures
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "clients", "python"))
import shoal  # noqa: E402


def outcome_of(future, timeout):
    """The result as data: {"result": value} or the failure's status, type, message, where."""
    try:
        return {"result": future.result(timeout)}
    except shoal.TaskError as e:
        return {"status": e.status, "type": e.type, "message": e.message, "where": e.where}


def run(client, args):
    t = args.timeout
    scenario = args.scenario
    if scenario == "submit":
        f = client.submit("add", 2, 3)
        result = f.result(t)
        with shoal.Client(args.broker, connect_timeout=t) as other:
            fetched = other.fetch(f.id).result(t)
        return {"result": result, "fetched": fetched}
    if scenario == "gather":
        return {"results": shoal.gather(client.map("add", [(i, i) for i in range(100)]), t)}
    if scenario == "as_completed":
        futures = [client.submit("sleep_ms", ms) for ms in (300, 200, 100, 0)]
        return {"order": [f.result() for f in concurrent.futures.as_completed(futures, t)]}
    if scenario == "error":
        return outcome_of(client.submit("fail", "boom"), t)
    if scenario == "unknown":
        return outcome_of(client.submit("no_such_task"), t)
    if scenario == "retry":
        return outcome_of(client.submit("flaky", os.path.join(args.scratch, "flaky"), 2,
                                        max_retries=3), t)
    if scenario == "revoke":
        f = client.submit("sleep_ms", 1, queue="parked")
        client.revoke(f)
        return outcome_of(f, t)
    if scenario == "busy":
        futures = client.map("echo", [bytes(4096)] * 300)
        done = [outcome_of(f, t) for f in futures]
        ok = sum(1 for d in done if d.get("result") == bytes(4096))
        return {"count": len(done), "ok": ok}
    if scenario == "killed":
        return {"results": shoal.gather([client.submit("sleep_ms", 2000) for _ in range(4)], t)}
    if scenario == "mixed":
        upper = client.submit("py_upper", "shoal")
        negated = client.submit("cpp_negate", 7)
        return {"upper": upper.result(t), "negated": negated.result(t)}
    raise SystemExit(f"unknown scenario {scenario!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("scenario")
    args = parser.parse_args()
    with shoal.Client(args.broker, connect_timeout=args.timeout) as client:
        print(json.dumps(run(client, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
