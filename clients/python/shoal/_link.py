"""The dialog every client and worker shares with the broker (PROTOCOL.md section 7): the
DEALER socket and its options, HELLO and WELCOME, heartbeats, the liveness rule, the output
window's acknowledgements and reconnect back-off. Sans-IO: the client's I/O thread and the
worker's asyncio loop each drive one Session with their own socket calls."""

import logging
import random
import socket
import time

import zmq

from . import _wire
from ._wire import Cmd, ProtocolError
from .errors import KeyFileError

MAX_FRAME_BYTES = 64 << 20  # ZMQ_MAXMSGSIZE: a bigger frame drops the connection


def read_key_file(path, secret):
    """The Z85 keys of a zcert file (NAME.key, NAME.key_secret), as `shoal keygen` writes."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise KeyFileError(f"{path}: {e.strerror}") from None
    keys = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            keys[key.strip()] = value.strip().strip('"')
    wanted = "secret-key" if secret else "public-key"
    if len(keys.get(wanted, "")) != 40:
        raise KeyFileError(f"{path}: no {wanted} line (is it a key file?)")
    if secret:
        import os
        import stat
        if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path}: a secret key file must be readable by its owner only")
        return keys["public-key"], keys["secret-key"]
    return keys["public-key"]


class Keys:
    """CURVE keys of a client or worker: the broker's public key file and its own secret file."""

    def __init__(self, broker_key, key):
        if bool(broker_key) != bool(key):
            raise KeyFileError("give both the broker's public key file and your secret key file")
        self.broker_public = read_key_file(broker_key, secret=False)
        self.public, self.secret = read_key_file(key, secret=True)

    @staticmethod
    def load(broker_key=None, key=None):
        return Keys(broker_key, key) if (broker_key or key) else None


def configure_dealer(socket, keys):
    """The options every SHOAL/1 DEALER sets before connecting (PROTOCOL.md 7 and 9)."""
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
    socket.setsockopt(zmq.HEARTBEAT_IVL, 2000)
    socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, 10000)
    socket.setsockopt(zmq.TCP_KEEPALIVE, 1)
    socket.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 30)
    socket.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 5)
    socket.setsockopt(zmq.TCP_KEEPALIVE_CNT, 3)
    socket.setsockopt(zmq.SNDHWM, 0)
    socket.setsockopt(zmq.RCVHWM, 0)
    if keys is not None:
        socket.curve_serverkey = keys.broker_public.encode()
        socket.curve_publickey = keys.public.encode()
        socket.curve_secretkey = keys.secret.encode()


def open_dealer(ctx, endpoint, keys, replacing=None):
    """A fresh DEALER to the broker, closing the one it replaces: each reconnect uses a new
    socket (PROTOCOL.md 7), so nothing queued for a dead session is sent to a new one."""
    if replacing is not None:
        replacing.close(0)
    socket = ctx.socket(zmq.DEALER)
    configure_dealer(socket, keys)
    socket.connect(endpoint)
    return socket


def frames(cmd, body):
    return [_wire.PROTOCOL, bytes([cmd]), body]


def parse_frames(parts):
    """(Cmd, body) of a message from the broker, or ProtocolError (section 8)."""
    if len(parts) != 3:
        raise ProtocolError("bad_frames", f"{len(parts)} frames, 3 expected")
    if parts[0] != _wire.PROTOCOL:
        raise ProtocolError("bad_version", "frame 0 is not SHOAL1")
    if len(parts[1]) != 1:
        raise ProtocolError("bad_command", "the command frame must be one byte")
    try:
        return Cmd(parts[1][0]), parts[2]
    except ValueError:
        raise ProtocolError("bad_command", f"unknown command 0x{parts[1][0]:02x}") from None


def read_messages(recv, session, on_welcome, on_message, send, limit):
    """Handles what the socket holds, at most `limit` messages: each counted by the session (a
    WELCOME starts it), then given to on_message(cmd, body); an invalid one is logged and
    dropped (section 8); the output window is acknowledged as soon as a quarter arrived."""
    for _ in range(limit):
        try:
            parts = recv()
        except zmq.Again:
            return
        try:
            cmd, body = parse_frames(parts)
            if session.heard(cmd, body):
                on_welcome()
            else:
                on_message(cmd, body)
        except ProtocolError as e:
            logging.getLogger("shoal").warning("dropped a message from the broker: %s", e)
        if session.ack_due():
            send(session.heartbeat())


class Backoff:
    """Reconnect delays: from 100 ms doubling to 5 s, each drawn from [0.5, 1) of its step."""

    def __init__(self, initial=0.1, maximum=5.0):
        self.initial, self.maximum, self.step = initial, maximum, initial

    def next(self):
        delay = self.step * random.uniform(0.5, 1.0)
        self.step = min(self.step * 2, self.maximum)
        return delay

    def reset(self):
        self.step = self.initial


def split_endpoints(text):
    """'tcp://a:5555, tcp://b:5555' -> ['tcp://a:5555', 'tcp://b:5555'] (PROTOCOL.md 6.7)."""
    found = [part.strip() for part in text.split(",") if part.strip()]
    return found or [text]


def resolve_endpoints(endpoints, getaddrinfo=socket.getaddrinfo):
    """Each tcp://NAME:PORT whose NAME has several IPv4 addresses (a DNS name or /etc/hosts
    lines naming every broker) becomes one endpoint per address, in the resolver's order;
    everything else is kept as given (ZeroMQ resolves a one-address name at each connect), as
    the C++ peers do (proto/broker_endpoints.hpp). Blocking: it asks the resolver."""
    out = []

    def add(endpoint):
        if endpoint not in out:
            out.append(endpoint)

    for endpoint in endpoints:
        host, _, port = endpoint[len("tcp://"):].rpartition(":")
        if not endpoint.startswith("tcp://") or not host or host == "*" or host.startswith("["):
            add(endpoint)
            continue
        try:
            found = []
            for *_, address in getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM):
                if address[0] not in found:
                    found.append(address[0])
        except (OSError, UnicodeError):
            found = []
        if len(found) < 2:
            add(endpoint)
            continue
        for address in found:
            add(f"tcp://{address}:{port}")
    return out


class Session:
    """One session's state: welcomed or not, the broker's settings, what was received (for the
    output window) and when anything was last sent or heard (heartbeats, liveness); and which
    of the brokers it was given (one, or active and standby ones) it talks to."""

    def __init__(self, hello_body, brokers="tcp://127.0.0.1:5555"):
        self.hello_body = hello_body
        self.backoff = Backoff()
        self.reconnect_at = None
        self.given = split_endpoints(brokers)
        self.endpoints = resolve_endpoints(self.given)
        self.current = 0
        self.reset()

    @property
    def endpoint(self):
        return self.endpoints[self.current]

    def move_on(self, now):
        """To the next broker of the list (PROTOCOL.md 6.7: a standby's not_active, or silence),
        after the back-off. Once per reconnect: what the old socket still says meanwhile (a BYE
        after a not_active, say) must not move it again."""
        if self.reconnect_at is not None:
            return
        self.current = (self.current + 1) % len(self.endpoints)
        if self.current == 0 and len(self.endpoints) + len(self.given) > 2:
            self.endpoints = resolve_endpoints(self.given)  # around the list: names asked again
        self.welcomed = False
        self.reconnect_at = now + self.backoff.next()

    def reset(self):
        now = time.monotonic()
        self.welcomed = False
        self.settings = {"heartbeat_ms": 1000, "liveness": 3, "max_message_bytes": 16 << 20,
                         "max_batch": 10_000, "window_bytes": 0}
        self.received = 0
        self.acked = 0
        self.last_sent = now
        self.last_heard = now
        self.hello_sent = now

    def hello(self):
        self.welcomed = False
        self.received = self.acked = 0
        self.hello_sent = self.last_sent = time.monotonic()
        return frames(Cmd.HELLO, self.hello_body)

    def heard(self, cmd, body):
        """Counts a message from the broker; True once it is the WELCOME of this session."""
        self.last_heard = time.monotonic()
        if cmd == Cmd.WELCOME:
            self.settings = _wire.read_welcome(body)
            self.welcomed = True
            self.received = self.acked = 0
            self.backoff.reset()
            return True
        if self.welcomed:
            self.received += len(body)
        return False

    def sent(self):
        self.last_sent = time.monotonic()

    @property
    def heartbeat_s(self):
        return self.settings["heartbeat_ms"] / 1000.0

    def ack_due(self):
        window = self.settings["window_bytes"]
        return window > 0 and self.received - self.acked >= window // 4

    def heartbeat_due(self, now):
        return now - self.last_sent >= self.heartbeat_s

    def heartbeat(self):
        self.acked = self.received
        self.sent()
        return frames(Cmd.HEARTBEAT, _wire.heartbeat(self.received))

    def dead(self, now):
        """Silent past liveness: or, before WELCOME, no answer to HELLO within as long."""
        limit = self.heartbeat_s * max(1, self.settings["liveness"])
        if not self.welcomed:
            return now - self.hello_sent > max(limit, 3.0)
        return now - self.last_heard > limit

    def due(self, now):
        """What the link must do now: "connect" (the back-off passed: a new socket and HELLO),
        "lost" (the broker went silent; a reconnect is scheduled), "heartbeat", or None."""
        if self.reconnect_at is not None:
            if now < self.reconnect_at:
                return None
            self.reconnect_at = None
            self.reset()
            return "connect"
        if self.dead(now):
            self.move_on(now)
            return "lost"
        if self.welcomed and self.heartbeat_due(now):
            return "heartbeat"
        return None

    def wait_s(self, now):
        """Seconds until due() may have something to do."""
        if self.reconnect_at is not None:
            return max(0.0, self.reconnect_at - now)
        limit = self.heartbeat_s * max(1, self.settings["liveness"])
        wait = max(0.0, min(self.last_sent + self.heartbeat_s, self.last_heard + limit) - now)
        return wait if self.welcomed else min(wait, 0.25)
