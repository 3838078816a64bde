"""PROTOCOL.md section 12's test vectors, checked against the Python encoders and decoders
(the C++ side: tests/unit/proto/protocol_vectors_test.cpp). The vectors are read from the
document itself, so the text, the C++ and the Python cannot drift apart unnoticed.

    python3 -m unittest discover -s clients/python/tests
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from shoal import _wire  # noqa: E402

PROTOCOL_MD = os.environ.get("SHOAL_PROTOCOL_MD",
                             os.path.join(HERE, "..", "..", "..", "proto", "PROTOCOL.md"))

A = bytes(range(0x00, 0x10))
B = bytes(range(0x10, 0x20))
C = bytes(range(0x20, 0x30))
P = _wire.pack
ADD = P([2, 3])
WORKER = "worker-1@host-a"


def read_vectors(path=PROTOCOL_MD):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    vectors = {}
    for name, body in re.findall(r"```shoal-vector (\w+)\n(.*?)```", text, re.S):
        vectors[name] = bytes.fromhex(body.replace("\n", " "))
    commands = dict(re.findall(r"^\| `(\w+)` \| (0x[0-9a-f]{2}|payload) \|", text, re.M))
    return vectors, commands


# name -> (command or None for a payload, the Python encoding)
MESSAGES = {
    "hello_client": (_wire.Cmd.HELLO, lambda: _wire.hello("client", "client-1", [], "shoal/0.2.0")),
    "hello_worker": (_wire.Cmd.HELLO, lambda: _wire.hello(
        "worker", WORKER,
        [4, 2, ["add", "echo"], ["default", "cpu"]], "shoal/0.2.0")),
    "welcome_defaults": (_wire.Cmd.WELCOME, lambda: _wire.welcome(1000, 3, 16777216, 10000,
                                                                  67108864)),
    "heartbeat_empty": (_wire.Cmd.HEARTBEAT, lambda: _wire.heartbeat()),
    "heartbeat_received": (_wire.Cmd.HEARTBEAT, lambda: _wire.heartbeat(70000)),
    "bye": (_wire.Cmd.BYE, lambda: _wire.bye("draining")),
    "error_plain": (_wire.Cmd.ERROR, lambda: _wire.error("bad_body", "tasks: not an array")),
    "error_with_task": (_wire.Cmd.ERROR, lambda: _wire.error("not_registered", "say HELLO first",
                                                             A)),
    "error_answers": (_wire.Cmd.ERROR, lambda: _wire.error("forbidden", "PURGE needs an admin key",
                                                           None, 0x16)),
    "submit_with_options": (_wire.Cmd.SUBMIT, lambda: _wire.submit([(A, "add", "default", ADD, {
        "priority": 5, "expires_ms": 1700000000000, "time_limit_ms": 30000, "max_retries": 3,
        "retry_backoff": True, "retry_on": ["std::runtime_error"]})])),
    "submit_no_options": (_wire.Cmd.SUBMIT, lambda: _wire.submit(
        [(B, "echo", "cpu", P([b"\x00\x01\xff"]), {})])),
    "submit_with_inputs": (_wire.Cmd.SUBMIT, lambda: _wire.submit([(C, "add", "default",
                                                                    P([None, 10]), {
        "countdown_ms": 500, "inputs": [[0, A], [None, B]]})])),
    "submit_chord": (_wire.Cmd.SUBMIT, lambda: _wire.submit([(C, "sum", "default", P([None]), {
        "inputs": [[0, [A, B]]]})])),
    "submit_chunk": (_wire.Cmd.SUBMIT, lambda: _wire.submit([(A, "add", "default",
                                                              P([[[1, 2], [3, 4]]]), {
        "eta_ms": 1700000000000, "soft_time_limit_ms": 20000, "retry_delay_ms": 2000,
        "retry_backoff_max_ms": 60000, "retry_jitter": False, "chunk": True})])),
    "accepted_all": (_wire.Cmd.ACCEPTED, lambda: _wire.accepted([A, B])),
    "accepted_refused_busy": (_wire.Cmd.ACCEPTED, lambda: _wire.accepted(
        [A], [(B, ("busy", "the broker holds all the tasks it may", "broker"))], 250)),
    "result_ok": (_wire.Cmd.RESULT, lambda: _wire.result([(A, "ok", P(5))])),
    "result_failed": (_wire.Cmd.RESULT, lambda: _wire.result(
        [(B, "failed", ("std::runtime_error", "boom", WORKER))])),
    "fetch": (_wire.Cmd.FETCH, lambda: _wire.fetch([A, B])),
    "fetched": (_wire.Cmd.FETCHED, lambda: _wire.fetched(
        [(A, "done", (A, "ok", P(5))), (B, "pending", None)], [C])),
    "revoke": (_wire.Cmd.REVOKE, lambda: _wire.revoke([A])),
    "revoke_terminate": (_wire.Cmd.REVOKE, lambda: _wire.revoke([A, B], terminate=True)),
    "requeue": (_wire.Cmd.REQUEUE, lambda: _wire.requeue([A])),
    "purge": (_wire.Cmd.PURGE, lambda: _wire.purge("default")),
    "purged": (_wire.Cmd.PURGED, lambda: _wire.purged("default", 42)),
    "inspect": (_wire.Cmd.INSPECT, lambda: _wire.inspect("workers")),
    "admin_action_only": (_wire.Cmd.ADMIN, lambda: _wire.admin("reload-keys")),
    "admin_params": (_wire.Cmd.ADMIN, lambda: _wire.admin("periodic-remove", {"name": "tick"})),
    "admin_params_payload": (_wire.Cmd.ADMIN, lambda: _wire.admin(
        "periodic-add", {"name": "tick", "task": "add", "schedule": "every 10s"}, ADD)),
    "report": (_wire.Cmd.REPORT, lambda: _wire.report("queues", [
        {"name": "default", "length": 3, "consumers": 1},
        {"name": "cpu", "length": 300, "consumers": 0}])),
    "subscribe_on": (_wire.Cmd.SUBSCRIBE, lambda: _wire.subscribe(True)),
    "subscribe_off": (_wire.Cmd.SUBSCRIBE, lambda: _wire.subscribe(False)),
    "events": (_wire.Cmd.EVENTS, lambda: _wire.events([b"\xde\x00\x08" + b"".join(
        P(k) + P(v) for k, v in [
            ("type", "task-received"), ("timestamp", 1700000000.5), ("clock", 7),
            ("uuid", A.hex()), ("name", "add"), ("hostname", WORKER), ("attempt", 1),
            ("retries", 0)])], 3)),
    "ready": (_wire.Cmd.READY, lambda: _wire.ready(8)),
    "dispatch": (_wire.Cmd.DISPATCH, lambda: _wire.dispatch([
        (A, "add", ADD, 1, {"time_limit_ms": 30000, "soft_time_limit_ms": 25000}),
        (B, "echo", P([b"\x2a"]), 2, {})])),
    "done_minimal": (_wire.Cmd.DONE, lambda: _wire.done([((A, "ok", P(5)), 1, None)], 1)),
    "done_runtimes_retry": (_wire.Cmd.DONE, lambda: _wire.done([
        ((A, "ok", P(5)), 1, None),
        ((B, "failed", ("shoal::retry", "rate-limited", WORKER)), 2, 5000)], 2, [1200, 350])),
    "cancel": (_wire.Cmd.CANCEL, lambda: _wire.cancel([A])),
    "cancel_terminate": (_wire.Cmd.CANCEL, lambda: _wire.cancel([A], terminate=True)),
    "started": (_wire.Cmd.STARTED, lambda: _wire.started([(A, 1), (B, 2)])),
    "drain": (_wire.Cmd.DRAIN, lambda: _wire.drain([(B, 1)])),
}

PAYLOADS = {
    "args_add": [2, 3],
    "args_none": [],
    "args_str": ["héllo"],
    "args_long_str": ["abcdefghijklmnopqrstuvwxyz0123456789ABCD"],
    "args_bin": [b"\x00\x01\xff"],
    "args_ints": [0, 127, 128, 255, 256, 65536, 4294967296, -1, -32, -33, -129, -32769],
    "args_floats": [1.5, 2.0],
    "args_mixed": [True, None, [1, 2, 3], {"a": 1, "b": 2}],
    "result_int": 5,
    "result_nil": None,
    "result_map": {"name": "shoal", "state": "ok"},
    "error_array": ["std::runtime_error", "boom", WORKER],
}
# msgpack-c writes an integral float as an integer (12.1); Python keeps it a float 64.
DECODE_ONLY = {"args_floats"}


class ProtocolVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vectors, cls.commands = read_vectors()

    def test_every_message_encodes_to_its_vector(self):
        for name, (cmd, encode) in MESSAGES.items():
            with self.subTest(vector=name):
                self.assertEqual(encode().hex(" "), self.vectors[name].hex(" "))
                self.assertEqual(self.commands[name], f"0x{int(cmd):02x}")

    def test_every_payload_packs_to_its_vector_and_unpacks_to_its_value(self):
        for name, value in PAYLOADS.items():
            with self.subTest(vector=name):
                self.assertEqual(_wire.unpack(self.vectors[name]), value)
                if name not in DECODE_ONLY:
                    self.assertEqual(P(value).hex(" "), self.vectors[name].hex(" "))

    def test_the_decoders_read_what_the_broker_sends(self):
        v = self.vectors
        self.assertEqual(_wire.read_welcome(v["welcome_defaults"])["window_bytes"], 67108864)
        self.assertEqual(_wire.read_accepted(v["accepted_refused_busy"]),
                         ([A], [(B, ("busy", "the broker holds all the tasks it may", "broker"))],
                          250))
        self.assertEqual(_wire.read_result(v["result_failed"]),
                         [(B, "failed", ("std::runtime_error", "boom", WORKER))])
        self.assertEqual(_wire.read_fetched(v["fetched"]),
                         ([(A, "done", (A, "ok", P(5))), (B, "pending", None)], [C]))
        self.assertEqual(_wire.read_error_reply(v["error_answers"])["answers"], 0x16)
        self.assertEqual(_wire.read_purged(v["purged"]), ("default", 42))
        what, rows = _wire.read_report(v["report"])
        self.assertEqual((what, rows[1]["length"]), ("queues", 300))
        events, dropped = _wire.read_events(v["events"])
        self.assertEqual((events[0]["type"], events[0]["clock"], dropped), ("task-received", 7, 3))
        good, malformed, unidentified = _wire.read_dispatch(v["dispatch"])
        self.assertEqual((good[1], malformed, unidentified), ((B, "echo", P([b"*"]), 2, {}), [], 0))
        self.assertEqual(good[0][4], {"time_limit_ms": 30000, "soft_time_limit_ms": 25000})
        self.assertEqual(_wire.read_id_list(v["cancel_terminate"], "CANCEL"), ([A], True))
        self.assertEqual(_wire.read_hello(v["hello_worker"])["details"][2], ["add", "echo"])

    def test_every_vector_in_the_document_is_checked(self):
        checked = set(MESSAGES) | set(PAYLOADS)
        self.assertEqual(sorted(set(self.vectors) - checked), [])
        self.assertEqual(sorted(checked - set(self.vectors)), [])

    def test_every_command_has_a_vector(self):
        covered = {int(cmd) for cmd, _ in MESSAGES.values()}
        self.assertEqual(sorted(int(c) for c in _wire.Cmd if int(c) not in covered), [])

    def test_a_malformed_dispatch_entry_is_answered_not_dropped(self):
        body = P([[[A, "", b"", 3, {}], [b"short", "add", b"", 1, {}], [B, "add", "str", 1]]])
        good, malformed, unidentified = _wire.read_dispatch(body)
        self.assertEqual(good, [])
        self.assertEqual([(m[0], m[1]) for m in malformed], [(A, 3), (B, 1)])
        self.assertEqual(unidentified, 1)


if __name__ == "__main__":
    unittest.main()
