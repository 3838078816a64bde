"""bench/suite/floor_targets.py: issue 17's targets judged from a run's own figures, each as a
ratio to what was measured beside it, and a reason printed for every miss."""

import os
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path[:0] = [os.path.join(ROOT, "bench", "suite"), os.path.join(ROOT, "bench", "peers")]

import floor_targets  # noqa: E402
import report  # noqa: E402


def run_with(shoal, floor=None):
    return {"meta": {"date": "2026-12-07T00:00:00", "cpus": 2, "quick": True}, "shoal": shoal,
            "floor": floor if floor is not None else {"p50_us": 200.0, "p99_us": 300.0, "messages_per_s": 400_000},
            "errors": []}


def judged(res):
    rows = report.rows_of(res)
    return {t.figure: t for t in floor_targets.targets(res, rows, "why latency16", report.metg_of, report.usable)}


class RoundTripTest(unittest.TestCase):
    def test_p50_within_1_3x_of_the_relay_is_met_and_above_it_missed_with_its_distance(self):
        met = judged(run_with({"latency": {"p50_us": 260.0, "p99_us": 600.0}}))
        self.assertTrue(met["round trip p50 / the relay's"].ok)
        self.assertEqual(met["round trip p50 / the relay's"].why, "")
        self.assertTrue(met["round trip p99 / the relay's"].ok)  # 2.0x of 300 is 600: met exactly
        over = judged(run_with({"latency": {"p50_us": 260.0, "p99_us": 601.0}}))
        self.assertFalse(over["round trip p99 / the relay's"].ok)
        self.assertIn("the tail adds", over["round trip p99 / the relay's"].why)
        missed = judged(run_with({"latency": {"p50_us": 420.0, "p99_us": 590.0}}))
        p50 = missed["round trip p50 / the relay's"]
        self.assertFalse(p50.ok)
        self.assertIn("2.10x", p50.now)
        self.assertIn("1.3x is 260 us here, 160 us away", p50.why)
        self.assertTrue(missed["round trip p99 / the relay's"].ok)

    def test_no_relay_in_the_run_means_no_verdict(self):
        self.assertNotIn("round trip p50 / the relay's", judged(run_with({"latency": {"p50_us": 1.0}}, floor={})))


class ThroughputAndDurableTest(unittest.TestCase):
    def test_no_op_throughput_is_judged_at_the_best_size_against_the_relays_messages(self):
        t = judged(run_with({"throughput": {"10000": {"tasks_per_s": 100_000.0},
                                            "100000": {"tasks_per_s": 240_000.0},
                                            "1000000": {"tasks_per_s": 500_000.0, "failed": True}}}))
        target = t["no-op tasks/s / the relay's messages/s"]
        self.assertFalse(target.ok)
        self.assertIn("0.60x", target.now)  # the failed run does not count
        self.assertIn("at 100,000 tasks", target.why)
        self.assertIn("8.3 us of CPU per task", target.why)  # 2 CPUs over 240,000/s
        fast = judged(run_with({"throughput": {"100000": {"tasks_per_s": 400_000.0}}}))
        self.assertTrue(fast["no-op tasks/s / the relay's messages/s"].ok)

    def test_durable_needs_both_100k_and_half_of_memory_mode(self):
        def durable(everysec, memory):
            return judged(run_with({"durable": {"memory": {"tasks_per_s": memory},
                                                "everysec": {"tasks_per_s": everysec}}}))[
                "durable (everysec) tasks/s, and / memory mode"]
        self.assertTrue(durable(110_000, 200_000).ok)
        self.assertFalse(durable(110_000, 240_000).ok)  # 0.46x
        self.assertFalse(durable(90_000, 150_000).ok)  # 0.6x but under 100k
        self.assertIn("Redis", durable(55_000, 140_000).why)
        res = run_with({"durable": {"memory": {"tasks_per_s": 200_000},
                                    "everysec": {"tasks_per_s": 60_000, "redis_cpu_us_per_task": 7.5,
                                                 "broker_cpu_us_per_task": 9.25}}})
        why = judged(res)["durable (everysec) tasks/s, and / memory mode"].why
        self.assertIn("per task Redis spent 7.5 us of CPU and the broker 9.2 us", why)
        self.assertIn("memory mode: at most 10.0 us per task for everything", why)


class MetgTest(unittest.TestCase):
    def test_metg_above_50_us_is_missed_with_the_slot_time_each_task_cost(self):
        points = [{"task_s": 0.001, "tasks": 200, "wall_s": 0.12, "efficiency": 0.83},
                  {"task_s": 0.000316, "tasks": 632, "wall_s": 0.18, "efficiency": 0.55},
                  {"task_s": 0.0001, "tasks": 2000, "wall_s": 0.5, "efficiency": 0.2}]
        t = judged(run_with({"metg": {"workers": 2, "points": points}}))["METG(50%), 2 workers"]
        self.assertFalse(t.ok)
        # 2 x 0.18 s - 632 x 316 us over 632 tasks: 254 us; 2 x 0.12 - 200 x 1 ms over 200: 200 us.
        self.assertIn("200-254 us beyond its own duration", t.why)

    def test_a_one_worker_sweep_beside_it_is_quoted_in_the_reason(self):
        points = [{"task_s": 0.001, "tasks": 200, "wall_s": 0.12, "efficiency": 0.83},
                  {"task_s": 0.000316, "tasks": 632, "wall_s": 0.18, "efficiency": 0.55},
                  {"task_s": 0.0001, "tasks": 2000, "wall_s": 0.5, "efficiency": 0.2}]
        one = [{"task_s": 0.0001, "tasks": 1000, "wall_s": 0.13, "efficiency": 0.77},
               {"task_s": 0.0000316, "tasks": 3000, "wall_s": 0.19, "efficiency": 0.5}]
        t = judged(run_with({"metg": {"workers": 2, "points": points,
                                      "one_worker": {"workers": 1, "points": one}}}))["METG(50%), 2 workers"]
        # 1 x 0.19 s - 3000 x 31.6 us over 3000: 31.7 us; 1 x 0.13 - 1000 x 100 us over 1000: 30 us.
        self.assertIn("With one worker, which leaves a CPU to those threads, the same sweep's METG was 32 us", t.why)
        self.assertIn("each task cost its slot 30-32 us", t.why)

    def test_metg_at_or_under_50_us_is_met(self):
        points = [{"task_s": 0.0001, "tasks": 2000, "wall_s": 0.2, "efficiency": 0.9},
                  {"task_s": 0.0000316, "tasks": 6000, "wall_s": 0.2, "efficiency": 0.5}]
        t = judged(run_with({"metg": {"workers": 2, "points": points}}))["METG(50%), 2 workers"]
        self.assertTrue(t.ok)
        self.assertEqual(t.verdict(), "MET")


class SecurityAndEventsTest(unittest.TestCase):
    def test_each_of_curve_and_the_subscriber_must_stay_within_15_percent(self):
        shoal = {"curve": {"plain": {"tasks_per_s": 100.0, "p50_us": 100.0},
                           "curve": {"tasks_per_s": 95.0, "p50_us": 110.0}},
                 "events": {"none": {"tasks_per_s": 100.0}, "subscribed": {"tasks_per_s": 90.0}}}
        t = judged(run_with(shoal))["with CURVE / an event subscriber, against plain"]
        self.assertTrue(t.ok, t.now)
        self.assertEqual(t.now, "CURVE tasks/s -5%, CURVE p50 +10%, a subscriber's tasks/s -10%")
        shoal["events"]["subscribed"]["tasks_per_s"] = 80.0
        t = judged(run_with(shoal))["with CURVE / an event subscriber, against plain"]
        self.assertFalse(t.ok)
        self.assertIn("events", t.why)
        self.assertNotIn("CURVE encrypts", t.why)  # CURVE was within its 15%


class ConcurrentTest(unittest.TestCase):
    def test_the_latency16_verdict_and_its_reading_are_carried_over(self):
        shoal = {"latency": {"p50_us": 300.0, "p99_us": 500.0},
                 "latency16": {"clients": 16, "round_trips": 300, "p50_us": 2000.0, "p99_us": 6000.0,
                               "p999_us": 9000.0}}
        t = judged(run_with(shoal))["many clients' round trip p99 / one client's"]
        self.assertFalse(t.ok)
        self.assertEqual(t.now, "12.0x")
        self.assertEqual(t.why, "why latency16")


class MarkdownTest(unittest.TestCase):
    def test_the_report_has_a_row_per_target_and_a_reason_per_miss(self):
        res = run_with({"latency": {"p50_us": 420.0, "p99_us": 500.0}})
        text = report.table(res)
        self.assertIn("| round trip p50 / the relay's | 2.10x (420 / 200 us) | <= 1.3x | MISS |", text)
        self.assertIn("| round trip p99 / the relay's | 1.67x (500 / 300 us) | <= 2.0x | MET |", text)
        self.assertIn("- round trip p50 / the relay's: 1.3x is 260 us here", text)
        self.assertNotIn("- round trip p99 / the relay's:", text)

    def test_a_run_without_these_figures_has_no_section(self):
        self.assertNotIn("Issue 17's targets", report.table(run_with({}, floor={})))


if __name__ == "__main__":
    unittest.main()
