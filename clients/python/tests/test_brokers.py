"""Several brokers (PROTOCOL.md 6.7): the list a client or worker is given, and how its session
moves from one to the next (a standby's not_active, or silence)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import socket  # noqa: E402

from shoal._link import Session, resolve_endpoints, split_endpoints  # noqa: E402


class BrokerListTest(unittest.TestCase):
    def test_a_list_is_split_on_commas_and_one_endpoint_is_a_list_of_one(self):
        self.assertEqual(split_endpoints("tcp://a:1, tcp://b:2,"), ["tcp://a:1", "tcp://b:2"])
        self.assertEqual(split_endpoints("tcp://a:1"), ["tcp://a:1"])

    def test_a_name_with_several_addresses_stands_for_each_of_them(self):
        def resolver(host, port, family, kind):
            table = {"brokers": ["10.0.0.2", "10.0.0.1", "10.0.0.2"], "one": ["10.0.0.9"]}
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "unknown")
            return [(family, kind, 6, "", (a, 0)) for a in table[host]]

        self.assertEqual(resolve_endpoints(["tcp://brokers:5555", "tcp://10.0.0.1:5555"], resolver),
                         ["tcp://10.0.0.2:5555", "tcp://10.0.0.1:5555"])
        # One address, none, or not a name: kept as given.
        given = ["tcp://one:1", "tcp://nowhere:2", "tcp://127.0.0.1:3", "ipc:///tmp/s", "tcp://[::1]:4"]
        self.assertEqual(resolve_endpoints(given, resolver), given)

    def test_localhost_and_addresses_are_kept_as_given(self):
        given = ["tcp://localhost:5555", "tcp://127.0.0.1:5556"]
        self.assertEqual(Session(b"", ",".join(given)).endpoints, given)

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
