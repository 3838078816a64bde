"""Task ids and the client's task options (clients/python/shoal/_wire.py, client.py)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from shoal import _wire  # noqa: E402
from shoal.client import task_options  # noqa: E402


class TaskIds(unittest.TestCase):
    def test_ids_are_distinct_uuid4s(self):
        ids = _wire.new_task_ids(10_000)
        self.assertEqual(len(set(ids)), 10_000)
        for task_id in ids:
            self.assertEqual(len(task_id), 16)
            self.assertEqual(task_id[6] >> 4, 4, task_id.hex())     # version 4
            self.assertEqual(task_id[8] >> 6, 0b10, task_id.hex())  # RFC 4122 variant

    def test_one_id(self):
        self.assertNotEqual(_wire.new_task_id(), _wire.new_task_id())


class TaskOptions(unittest.TestCase):
    def test_seconds_become_the_wire_milliseconds(self):
        self.assertEqual(task_options({"countdown": 1.5, "time_limit": 30, "expires": 1700000000,
                                       "priority": 7, "retry_on": ("ValueError",),
                                       "retry_backoff": 1}),
                         {"countdown_ms": 1500, "time_limit_ms": 30000,
                          "expires_ms": 1700000000000, "priority": 7,
                          "retry_on": ["ValueError"], "retry_backoff": True})

    def test_unset_options_are_not_sent(self):
        self.assertEqual(task_options({"countdown": None, "max_retries": None}), {})

    def test_unknown_options_and_bad_priorities_are_refused_at_once(self):
        with self.assertRaises(TypeError):
            task_options({"countdwn": 1})
        with self.assertRaises(ValueError):
            task_options({"priority": 10})

    def test_the_wire_order_is_the_cpp_encoders(self):
        ordered = _wire.ordered_options({"chunk": True, "inputs": [[0, b"x" * 16]],
                                         "priority": 1, "retry_on": ["E"]})
        self.assertEqual(list(ordered), ["priority", "chunk", "retry_on", "inputs"])


if __name__ == "__main__":
    unittest.main()
