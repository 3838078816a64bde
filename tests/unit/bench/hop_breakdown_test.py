#!/usr/bin/env python3
"""bench/cluster/hop_breakdown.py: stamps joined by task id, each hop's median and p99, only
tasks seen at every hop, the warm-up left out (standard library only)."""

import importlib.util
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "hop_breakdown", os.path.join(HERE, "..", "..", "..", "bench", "cluster", "hop_breakdown.py"))
hop_breakdown = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hop_breakdown)


def write_stamps(directory, tasks, step_ns):
    """Each task passes the hops `step_ns[i]` ns apart, written split over two 'processes'."""
    files = [open(os.path.join(directory, f"hops-{pid}.tsv"), "w") for pid in (100, 200)]
    for n, task in enumerate(tasks):
        t = 1_000_000 * n
        for i, hop in enumerate(hop_breakdown.HOPS):
            t += step_ns[i] if i else 0
            files[i % 2].write(f"{task}\t{hop}\t{t}\n")
    for f in files:
        f.close()


class HopBreakdown(unittest.TestCase):
    def test_each_hop_is_the_time_since_the_one_before(self):
        with tempfile.TemporaryDirectory() as d:
            steps = [0] + [1000 * (i + 1) for i in range(len(hop_breakdown.HOPS) - 1)]
            write_stamps(d, [f"{n:032x}" for n in range(10)], steps)
            result = hop_breakdown.breakdown(hop_breakdown.read(d), skip=0)
        self.assertEqual(result["tasks"], 10)
        self.assertEqual([r["hop"] for r in result["rows"]], hop_breakdown.HOPS[1:])
        self.assertEqual([r["p50_us"] for r in result["rows"]],
                         [float(i + 1) for i in range(len(hop_breakdown.HOPS) - 1)])
        self.assertEqual(result["total_p50_us"], sum(steps) / 1000)

    def test_a_task_missing_a_hop_is_left_out_and_the_warm_up_too(self):
        with tempfile.TemporaryDirectory() as d:
            steps = [0] + [1000] * (len(hop_breakdown.HOPS) - 1)
            write_stamps(d, [f"{n:032x}" for n in range(500)], steps)
            with open(os.path.join(d, "hops-300.tsv"), "w") as f:
                f.write(f"{'f' * 32}\tcaller_submit\t5\n")  # never got further
            result = hop_breakdown.breakdown(hop_breakdown.read(d), skip=200)
        self.assertEqual(result["tasks"], 300)

    def test_the_first_stamp_of_a_hop_counts(self):
        with tempfile.TemporaryDirectory() as d:
            steps = [0] + [1000] * (len(hop_breakdown.HOPS) - 1)
            write_stamps(d, ["a" * 32], steps)
            with open(os.path.join(d, "hops-400.tsv"), "w") as f:
                f.write(f"{'a' * 32}\tbroker_submit\t999999999\n")  # a resend, later
            result = hop_breakdown.breakdown(hop_breakdown.read(d), skip=0)
        self.assertEqual(result["rows"][1]["p50_us"], 1.0)


if __name__ == "__main__":
    unittest.main()
