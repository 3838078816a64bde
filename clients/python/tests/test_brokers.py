"""Several brokers (PROTOCOL.md 6.7): the list a client or worker is given, and how its session
moves from one to the next (a standby's not_active, or silence)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from shoal._link import Session, split_endpoints  # noqa: E402


class BrokerListTest(unittest.TestCase):
    def test_a_list_is_split_on_commas_and_one_endpoint_is_a_list_of_one(self):
        self.assertEqual(split_endpoints("tcp://a:1, tcp://b:2,"), ["tcp://a:1", "tcp://b:2"])
        self.assertEqual(split_endpoints("tcp://a:1"), ["tcp://a:1"])

    def test_moving_on_goes_to_the_next_after_the_back_off_and_wraps_around(self):
        s = Session(b"", "tcp://a:1,tcp://b:2")
        self.assertEqual(s.endpoint, "tcp://a:1")
        now = time.monotonic()
        s.move_on(now)
        self.assertEqual(s.endpoint, "tcp://b:2")
        self.assertIsNone(s.due(now))  # not before the back-off
        self.assertEqual(s.due(now + 10), "connect")
        s.move_on(now + 10)
        self.assertEqual(s.endpoint, "tcp://a:1")

    def test_moving_on_twice_before_reconnecting_moves_once(self):
        # A standby's not_active and its BYE on the same old socket: one step, not back to it.
        s = Session(b"", "tcp://a:1,tcp://b:2")
        now = time.monotonic()
        s.move_on(now)
        s.move_on(now)
        self.assertEqual(s.endpoint, "tcp://b:2")

    def test_a_broker_that_never_answers_hello_is_left_for_the_next(self):
        s = Session(b"", "tcp://a:1,tcp://b:2")
        s.hello()
        self.assertEqual(s.due(time.monotonic() + 60), "lost")
        self.assertEqual(s.endpoint, "tcp://b:2")


if __name__ == "__main__":
    unittest.main()
