"""bench/suite/report.py and bench/peers/peer_common.py: the figures bench/run prints are
computed right (METG, ratios' direction, which runs count, the missed targets)."""

import os
import sys
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path[:0] = [os.path.join(ROOT, "bench", "suite"), os.path.join(ROOT, "bench", "peers")]

import peer_common  # noqa: E402
import report  # noqa: E402


def run_with(**shoal):
    """A minimal results object: Shoal's figures as given, Celery's fixed."""
    return {
        "meta": {"date": "2026-11-22T00:00:00", "cpus": 2, "quick": True},
        "shoal": shoal,
        "floor": {"p50_us": 100.0, "p99_us": 200.0, "messages_per_s": 400_000},
        "celery": {
            "throughput": {"prefork": {"10000": {"tasks": 10000, "tasks_per_s": 400.0, "failed": 0}},
                           "solo": {"10000": {"tasks": 10000, "tasks_per_s": 500.0, "failed": 0}}},
            "latency": {"prefork": {"p50_us": 2000.0, "p99_us": 5000.0, "p999_us": 9000.0},
                        "solo": {"p50_us": 1500.0, "p99_us": 6000.0, "p999_us": 8000.0}},
        },
        "errors": [],
    }


class MetgTest(unittest.TestCase):
    def test_interpolates_on_log_duration_between_the_points_around_half(self):
        # 0.9 at 10 ms, 0.3 at 1 ms: 0.5 is two thirds of the way down, on a log scale.
        got = peer_common.metg_of([{"task_s": 0.01, "efficiency": 0.9}, {"task_s": 0.001, "efficiency": 0.3}])
        self.assertAlmostEqual(got, 10 ** (-2 - 2 / 3), places=9)

    def test_takes_the_smallest_duration_that_reached_half_in_any_order(self):
        points = [{"task_s": 0.001, "efficiency": 0.2}, {"task_s": 0.1, "efficiency": 0.95},
                  {"task_s": 0.01, "efficiency": 0.5}]
        self.assertAlmostEqual(peer_common.metg_of(points), 0.01)

    def test_is_none_when_nothing_reached_half_and_the_smallest_when_all_did(self):
        self.assertIsNone(peer_common.metg_of([{"task_s": 0.1, "efficiency": 0.4}]))
        self.assertIsNone(peer_common.metg_of([]))
        self.assertEqual(peer_common.metg_of([{"task_s": 0.1, "efficiency": 0.9},
                                              {"task_s": 0.01, "efficiency": 0.7}]), 0.01)

    def test_the_report_uses_the_same_function(self):
        self.assertIs(report.metg_of, peer_common.metg_of)


class RowsTest(unittest.TestCase):
    def rows(self, **shoal):
        return {r.figure.split(",")[0].split(" (")[0]: r for r in report.rows_of(run_with(**shoal))}

    def test_throughput_ratio_is_shoal_over_the_peers_best_pool(self):
        rows = self.rows(throughput={"10000": {"tasks": 10000, "tasks_per_s": 100_000.0, "failed": 0}})
        row = rows["no-op throughput"]
        self.assertEqual(row.values["celery"], 500.0)  # solo beat prefork
        self.assertAlmostEqual(row.ratio("celery"), 200.0)

    def test_latency_ratio_is_the_peer_over_shoal_and_targets_are_judged(self):
        rows = self.rows(latency={"round_trips": 10, "p50_us": 500.0, "p99_us": 1000.0, "p999_us": 2000.0})
        p50, p99 = rows["round trip p50"], rows["round trip p99"]
        self.assertEqual(p50.values["celery"], 1500.0)  # the best pool at each quantile
        self.assertAlmostEqual(p50.ratio("celery"), 3.0)
        self.assertFalse(p50.ok)  # 3x, the target is 4x
        self.assertAlmostEqual(p99.ratio("celery"), 5.0)
        self.assertFalse(p99.ok)
        rows = self.rows(latency={"round_trips": 10, "p50_us": 300.0, "p99_us": 400.0, "p999_us": 500.0})
        self.assertTrue(rows["round trip p50"].ok)
        self.assertTrue(rows["round trip p99"].ok)

    def test_a_run_that_failed_or_did_not_finish_does_not_count(self):
        self.assertFalse(report.usable({"tasks_per_s": 9e9, "failed": 3}))
        self.assertFalse(report.usable({"tasks_per_s": 9e9, "complete": False}))
        self.assertFalse(report.usable({"skipped": "too slow"}))
        self.assertTrue(report.usable({"tasks_per_s": 1.0, "failed": 0, "complete": True}))
        res = run_with()
        res["celery"]["throughput"]["solo"]["10000"]["failed"] = 1
        res["shoal"] = {"throughput": {"10000": {"tasks": 10000, "tasks_per_s": 100_000.0, "failed": 0}}}
        row = [r for r in report.rows_of(res) if r.figure.startswith("no-op throughput")][0]
        self.assertEqual(row.values["celery"], 400.0)

    def test_a_figure_that_was_not_run_has_no_row_and_no_verdict(self):
        rows = self.rows(c10k={"tasks": 10000, "sleep_s": 1.0, "wall_s": 1.05, "failed": 0})
        self.assertIn("C10K: 10", rows)
        self.assertNotIn("count example: speedup", rows)
        self.assertFalse(any(k.startswith("METG") for k in rows))

    def test_c10k_passes_only_within_1_1_s_and_a_miss_is_explained(self):
        self.assertTrue(self.rows(c10k={"tasks": 10000, "sleep_s": 1.0, "wall_s": 1.09, "failed": 0})["C10K: 10"].ok)
        res = run_with(c10k={"tasks": 10000, "sleep_s": 1.0, "wall_s": 1.2, "failed": 0},
                       throughput={"10000": {"tasks": 10000, "seconds": 0.08, "tasks_per_s": 125_000.0, "failed": 0}})
        text = report.table(res)
        self.assertIn("| <= 1.1 s | MISS |", text)
        self.assertIn("C10K: 0.200 s beyond the 1 s sleep", text)


def python_figure(thr=20_000.0, p50=900.0, p99=1500.0):
    """The `python` figure's results for one kind of worker."""
    return {"throughput": {"tasks": 20000, "tasks_per_s": thr, "failed": 0, "submit_s": 0.4, "client_cpu_s": 0.8,
                           "runs": [{"tasks_per_s": thr - 1000}, {"tasks_per_s": thr}, {"tasks_per_s": thr + 1000}]},
            "latency": {"round_trips": 500, "p50_us": p50, "p99_us": p99, "p999_us": 3000.0,
                        "samples_us": [p50, p99]}}


class PythonClientTest(unittest.TestCase):
    def rows(self, res):
        return {r.figure.split(",")[0].split(" (")[0]: r for r in report.rows_of(res)
                if r.figure.startswith("Python client")}

    def run_with_python(self):
        return run_with(python={"cpp": python_figure(), "python": python_figure(10_000.0, 1500.0, 3000.0)})

    def test_rows_beside_the_peers_figures_of_the_same_run_with_ratios_oriented(self):
        rows = self.rows(self.run_with_python())
        thr = rows["Python client -> C++ workers: no-op throughput"]
        self.assertEqual(thr.values["celery"], 500.0)  # Celery's best pool (solo) at its largest size
        self.assertAlmostEqual(thr.ratio("celery"), 40.0)
        self.assertIn("Celery: its throughput figure's runs", thr.note)
        self.assertIn("Celery (solo) ran 10,000 tasks", thr.note)
        self.assertIn("Shoal: median of 19,000, 20,000, 21,000", thr.note)
        p50 = rows["Python client -> Python workers: round trip p50"]
        self.assertEqual(p50.values["celery"], 1500.0)
        self.assertAlmostEqual(p50.ratio("celery"), 1.0)
        self.assertAlmostEqual(rows["Python client -> Python workers: round trip p99"].ratio("celery"), 5000.0 / 3000.0)
        self.assertAlmostEqual(rows["Python client -> Python workers: no-op throughput"].ratio("celery"), 20.0)
        self.assertTrue(all(r.ok is None and r.target == "" for r in rows.values()))
        self.assertEqual(len(rows), 6)

    def test_a_peer_run_beside_it_is_used_when_the_run_had_no_throughput_or_latency_figure(self):
        res = self.run_with_python()
        for figure in ("throughput", "latency"):
            del res["celery"][figure]
        res["celery"]["python"] = {
            "throughput": {"prefork": {"1000": {"tasks": 1000, "tasks_per_s": 250.0, "failed": 0}}},
            "latency": {"prefork": {"p50_us": 3000.0, "p99_us": 9000.0, "samples_us": [1.0]}}}
        rows = self.rows(res)
        thr = rows["Python client -> C++ workers: no-op throughput"]
        self.assertAlmostEqual(thr.ratio("celery"), 80.0)
        self.assertIn("Celery: run beside it", thr.note)
        self.assertAlmostEqual(rows["Python client -> C++ workers: round trip p50"].ratio("celery"), 3000.0 / 900.0)
        self.assertIn("Celery (prefork)", report.samples(res))
        # No other row takes the peer's runs made for this figure.
        self.assertEqual(len(report.rows_of(res)), 6)

    def test_the_cpp_client_of_the_same_run_is_said_beside_the_cpp_workers_rows_only(self):
        res = self.run_with_python()
        res["shoal"]["throughput"] = {"20000": {"tasks": 20000, "tasks_per_s": 150_000.0, "failed": 0}}
        res["shoal"]["latency"] = {"round_trips": 500, "p50_us": 450.0, "p99_us": 700.0, "p999_us": 900.0}
        rows = self.rows(res)
        self.assertIn("the C++ client in this run: 150,000 tasks/s;",
                      rows["Python client -> C++ workers: no-op throughput"].note)
        self.assertIn("the C++ client in this run: 450 us", rows["Python client -> C++ workers: round trip p50"].note)
        self.assertNotIn("C++ client", rows["Python client -> Python workers: no-op throughput"].note)
        # The quick run's sizes differ (10,000 and 100,000 beside 20,000): the nearest, said.
        res["shoal"]["throughput"] = {"10000": {"tasks": 10000, "tasks_per_s": 120_000.0, "failed": 0},
                                      "100000": {"tasks": 100000, "tasks_per_s": 180_000.0, "failed": 0}}
        self.assertIn("the C++ client in this run: 120,000 tasks/s (10,000 tasks)",
                      self.rows(res)["Python client -> C++ workers: no-op throughput"].note)

    def test_a_failed_measurement_leaves_n_a_and_no_figure_no_rows(self):
        res = self.run_with_python()
        res["shoal"]["python"]["python"]["throughput"]["failed"] = 3
        rows = self.rows(res)
        self.assertIsNone(rows["Python client -> Python workers: no-op throughput"].values["shoal"])
        self.assertIsNone(rows["Python client -> Python workers: no-op throughput"].ratio("celery"))
        self.assertEqual(self.rows(run_with()), {})

    def test_latency_samples_are_plotted_and_left_out_of_the_json(self):
        res = self.run_with_python()
        self.assertEqual(report.samples(res)["Shoal, Python client -> Python workers"], [1500.0, 3000.0])
        res["celery"]["python"] = {"latency": {"prefork": {"p50_us": 3000.0, "p99_us": 9000.0, "samples_us": [1.0]}}}
        with tempfile.TemporaryDirectory() as out:
            paths = report.write(res, out)
            with open(paths["json"]) as f:
                text = f.read()
        self.assertNotIn("samples_us", text)
        self.assertIn("p50_us", text)


def concurrent_figure(p50=2000.0, p99=1800.0, p999=9000.0, single=None):
    """The latency16 figure's results: 16 clients at once, their samples pooled."""
    c = {"clients": 16, "round_trips": 300, "worker_args": ["--concurrency", "32"], "wall_s": 1.5,
         "round_trips_per_s": 5000, "cpu_us_per_round_trip": {"broker": 70.0, "workers": 50.0, "clients": 250.0},
         "machine_busy": 0.93, "samples": 4800, "mean_us": 2500.0, "p50_us": p50, "p99_us": p99, "p999_us": p999,
         "client_p99_us": [1500.0, 2100.0], "samples_us": [p50, p99]}
    if single:
        c["single"] = single
    return c


class ConcurrentClientsTest(unittest.TestCase):
    LATENCY = {"round_trips": 2000, "p50_us": 400.0, "p99_us": 600.0, "p999_us": 900.0, "samples_us": [400.0]}

    def rows(self, res):
        return {r.figure.split(" (")[0]: r for r in report.rows_of(res) if r.figure.startswith("16 clients")}

    def test_pooled_quantiles_are_over_every_clients_samples_ranked_as_cluster_client_does(self):
        import shoal_side
        runs = [{"p99_us": 10.0, "samples_us": [float(i) for i in range(1, 11)]},
                {"p99_us": 1000.0, "samples_us": [100.0 * i for i in range(1, 11)]}]
        p = shoal_side.pooled(runs)
        self.assertEqual(p["samples"], 20)
        self.assertAlmostEqual(p["mean_us"], (55 + 5500) / 20)
        self.assertEqual(p["samples_us"], sorted(runs[0]["samples_us"] + runs[1]["samples_us"]))
        self.assertEqual(p["p50_us"], 10.0)  # rank floor(0.5 * 19) = 9 of 1..10, 100..1000
        self.assertEqual(p["p99_us"], 900.0)  # rank floor(0.99 * 19) = 18
        self.assertEqual(p["client_p99_us"], [10.0, 1000.0])
        self.assertIsNone(shoal_side.at_rank([], 0.5))

    def test_cpu_is_taken_over_the_middle_half_of_the_run_per_kind_of_process(self):
        import shoal_side
        watch = shoal_side.CpuWatch({1: "broker", 2: "workers", 3: "workers"})
        pids = {1: "broker", 2: "workers", 3: "workers", 10: "clients", 11: "clients"}
        for t in range(11):  # every 0.1 s for 1 s; client 11 is gone at the end
            cpu = {1: 0.01 * t, 2: 0.02 * t, 3: 0.02 * t, 10: 0.05 * t, 11: 0.05 * t if t < 10 else None}
            watch.readings.append((t / 10, cpu, (100 * t, 200 * t), pids))
        m = watch.middle()  # the readings at 0.3 and 0.7 s (0.25 to 0.75 of the span)
        self.assertAlmostEqual(m["seconds"], 0.4)
        self.assertAlmostEqual(m["cpu_s"]["broker"], 0.04)
        self.assertAlmostEqual(m["cpu_s"]["workers"], 0.16)
        self.assertAlmostEqual(m["cpu_s"]["clients"], 0.4)
        self.assertEqual(m["clients_seen"], 2)
        self.assertAlmostEqual(m["machine_busy"], 0.5)
        self.assertIsNone(shoal_side.CpuWatch({}).middle())

    def test_p99_ratio_is_over_the_latency_figures_single_client_and_judged_against_3x(self):
        rows = self.rows(run_with(latency=self.LATENCY, latency16=concurrent_figure(p99=1800.0)))
        self.assertEqual(len(rows), 4)
        ratio = rows["16 clients at once: round trip p99 / one client's p99"]
        self.assertAlmostEqual(ratio.values["shoal"], 3.0)
        self.assertTrue(ratio.ok)  # 3.0x: within "<= 3x"
        self.assertEqual(ratio.target, "<= 3x the single-client p99")
        self.assertIn("the latency figure's run", ratio.note)
        self.assertIn("--concurrency 32", ratio.note)
        self.assertEqual(rows["16 clients at once: round trip p99"].values["shoal"], 1800.0)
        self.assertIn("each client's own p99: 1,500 to 2,100 us", rows["16 clients at once: round trip p99"].note)
        self.assertIn("one client: 400 us (the latency figure's run), 5.00x",
                      rows["16 clients at once: round trip p50"].note)
        # No peer takes part: no ratio to a peer, and the latency rows keep theirs.
        self.assertIsNone(ratio.ratio("celery"))
        self.assertFalse(self.rows(run_with(latency=self.LATENCY, latency16=concurrent_figure(p99=1801.0)))[
            "16 clients at once: round trip p99 / one client's p99"].ok)

    def test_a_single_client_measured_in_its_own_cluster_is_preferred_and_used_without_the_latency_figure(self):
        single = {"round_trips": 2000, "p50_us": 300.0, "p99_us": 450.0, "p999_us": 700.0, "samples_us": [300.0]}
        for res in (run_with(latency16=concurrent_figure(single=single)),
                    run_with(latency=self.LATENCY, latency16=concurrent_figure(single=single))):
            ratio = self.rows(res)["16 clients at once: round trip p99 / one client's p99"]
            self.assertAlmostEqual(ratio.values["shoal"], 4.0)
            self.assertFalse(ratio.ok)
            self.assertIn("one client alone, first, in the same cluster", ratio.note)
        # A single client's p99 far beyond its p50 (a disturbed run) is said to flatter the ratio.
        self.assertNotIn("flatters", ratio.note)
        loud = dict(single, p99_us=1800.0)
        ratio = self.rows(run_with(latency16=concurrent_figure(single=loud)))[
            "16 clients at once: round trip p99 / one client's p99"]
        self.assertTrue(ratio.ok)
        self.assertIn("one client's p99 was 6.0x its p50", ratio.note)
        self.assertIn("the ratio flatters", ratio.note)
        # Neither: the rows stand, the ratio row has no value and no verdict (so no row).
        rows = self.rows(run_with(latency16=concurrent_figure()))
        self.assertEqual(len(rows), 3)
        self.assertEqual(self.rows(run_with(latency=self.LATENCY)), {})

    def test_a_miss_is_explained_from_the_runs_rate_and_cpu_and_does_not_touch_the_latency_rows(self):
        res = run_with(latency=self.LATENCY, latency16=concurrent_figure(p99=4000.0))
        text = report.table(res)
        self.assertIn("| 16 clients at once: round trip p99 / one client's p99 | x | 6.67 |", text)
        self.assertIn("| <= 3x the single-client p99 | MISS |", text)
        self.assertIn("16 clients at once: the cluster did 5,000 round trips/s while they ran (each client's rate, "
                      "summed), their mean round trip 2,500 us (one client's p50: 400 us)", text)
        self.assertIn("the clients 250 us, the broker 70 us, the workers 50 us: 370 us, 1.85 CPUs at that rate of "
                      "the machine's 2, which was 93% busy", text)
        self.assertIn("16 in flight on 2 CPUs take at least 16 x 370 / 2 = 2,960 us on average, 4.9x one client's "
                      "p99, whatever the scheduling: 3x needs under 225 us of CPU per round trip", text)
        # A CPU floor under 3x: the rest is said to be waiting for a CPU.
        res["shoal"]["latency"]["p99_us"] = 1200.0
        self.assertIn("16 x 370 / 2 = 2,960 us on average, 2.5x one client's p99, whatever the scheduling; the rest "
                      "is waiting for a CPU", report.table(res))
        res["shoal"]["latency"]["p99_us"] = 600.0
        # The single-client latency rows stay what they were (no 16-client figure in their verdicts).
        latency = [r for r in report.rows_of(res) if r.figure.startswith("round trip p99 (")]
        self.assertEqual([r.values["shoal"] for r in latency], [600.0])
        self.assertNotIn("Little's law", report.table(run_with(latency=self.LATENCY,
                                                               latency16=concurrent_figure(p99=1000.0))))

    def test_samples_are_plotted_and_left_out_of_the_json(self):
        single = {"round_trips": 2000, "p50_us": 300.0, "p99_us": 450.0, "samples_us": [300.0, 450.0]}
        res = run_with(latency16=concurrent_figure(single=single))
        data = report.samples(res)
        self.assertEqual(data["Shoal, 16 clients at once"], [2000.0, 1800.0])
        self.assertEqual(data["Shoal, one client (16 clients at once's cluster)"], [300.0, 450.0])
        with tempfile.TemporaryDirectory() as out:
            paths = report.write(res, out)
            with open(paths["json"]) as f:
                text = f.read()
        self.assertNotIn("samples_us", text)
        self.assertIn("client_p99_us", text)



class FailoverRowsTest(unittest.TestCase):
    def test_a_failover_passes_when_the_lease_is_taken_within_twice_its_time_and_nothing_is_lost(self):
        def row(took, lost):
            res = run_with(failover={"kill": {"kind": "kill", "lease_ms": 1000, "tasks": 1000, "lost": lost,
                                              "lease_taken_s": took, "recovery_s": 1.4}})
            return next(r for r in report.rows_of(res) if r.figure.startswith("failover"))
        good = row(1.3, 0)
        self.assertTrue(good.ok)
        self.assertEqual(good.values["shoal"], 1.4)
        self.assertIn("held it 1.30 s after", good.note)
        self.assertFalse(row(2.1, 0).ok)
        self.assertFalse(row(1.0, 1).ok)
        self.assertFalse(row(None, 0).ok)

    def test_the_redis_primary_failover_passes_when_nothing_is_lost_and_says_how_promoted(self):
        def row(lost=0, wait=0, promoted=3.23):
            kill = {"kind": "kill", "lease_ms": 1000, "tasks": 1000, "lost": 0, "lease_taken_s": 1.3,
                    "recovery_s": 1.4}
            redis = {"kind": "redis-primary", "tasks": 2200, "lost": lost, "refused": 984, "refused_until_s": 4.91,
                     "recovery_s": 4.9, "promoted_s": promoted, "down_after_ms": 2000, "wait_replicas": wait,
                     "complete": lost == 0}
            rows = [r for r in report.rows_of(run_with(failover={"kill": kill, "redis-primary": redis}))
                    if r.figure.startswith("failover")]
            self.assertEqual(len(rows), 2)
            self.assertIn("active broker killed", rows[0].figure)  # the broker's row as before
            self.assertIn("held it 1.30 s after", rows[0].note)
            return rows[1]
        good = row()
        self.assertIn("Redis primary killed", good.figure)
        self.assertTrue(good.ok)
        self.assertEqual(good.target, "nothing lost")
        self.assertEqual(good.values["shoal"], 4.9)
        self.assertIn("another primary 3.23 s after", good.note)
        self.assertIn("down-after 2,000 ms", good.note)
        self.assertIn("no WAIT", good.note)
        self.assertIn("984 refused `unavailable`", good.note)
        self.assertIn("one broker), 0 lost, 984 refused", good.note)
        self.assertIn("--redis-wait-replicas 1", row(wait=1).note)
        self.assertIn("never", row(promoted=None).note)
        self.assertFalse(row(lost=1).ok)
        # Nothing lost, but the stream never ran again: a MISS (rows_of leaves out a row without a
        # value, so failover_rows is asked directly).
        never = report.failover_rows(run_with(failover={"redis-primary": {
            "kind": "redis-primary", "tasks": 2200, "lost": 0, "refused": 1800, "recovery_s": None,
            "promoted_s": None, "down_after_ms": 2000, "wait_replicas": 0}}))
        self.assertEqual(len(never), 1)
        self.assertFalse(never[0].ok)


if __name__ == "__main__":
    unittest.main()
