"""SHOAL/1 on the wire: frames, command bytes and every message's msgpack body.

PROTOCOL.md is the contract; this module is its Python reading. Bodies are positional msgpack
arrays: each encoder builds the list in the order PROTOCOL.md gives and packs it; each decoder
checks the shape and raises ProtocolError naming the field. A receiver ignores trailing
elements it does not know (PROTOCOL.md section 10).
"""

import enum
import os

import msgpack

PROTOCOL = b"SHOAL1"
MINOR = 6
VERSION = "0.2.0"
SOFTWARE = "shoal-python/" + VERSION
MAX_NAME_BYTES = 255


class Cmd(enum.IntEnum):
    HELLO = 0x01
    WELCOME = 0x02
    SUBMIT = 0x10
    ACCEPTED = 0x11
    RESULT = 0x12
    FETCH = 0x13
    FETCHED = 0x14
    REVOKE = 0x15
    PURGE = 0x16
    PURGED = 0x17
    INSPECT = 0x18
    REPORT = 0x19
    REQUEUE = 0x1A
    ADMIN = 0x1B
    SUBSCRIBE = 0x1C
    EVENTS = 0x1D
    READY = 0x20
    DISPATCH = 0x21
    DONE = 0x22
    CANCEL = 0x23
    STARTED = 0x24
    DRAIN = 0x25
    HEARTBEAT = 0x30
    BYE = 0x31
    ERROR = 0x3F


class ProtocolError(Exception):
    """A message that is not SHOAL/1: its code is PROTOCOL.md section 8's."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# Option keys in the order the C++ encoder writes them (PROTOCOL.md section 12): unsigned
# integers, then flags, then lists. Receivers do not depend on the order; the test vectors do.
UINT_OPTIONS = ("priority", "countdown_ms", "eta_ms", "expires_ms", "time_limit_ms",
                "soft_time_limit_ms", "max_retries", "retry_delay_ms", "retry_backoff_max_ms")
FLAG_OPTIONS = ("retry_backoff", "retry_jitter", "chunk")
LIST_OPTIONS = ("retry_on", "inputs")
OPTION_ORDER = UINT_OPTIONS + FLAG_OPTIONS + LIST_OPTIONS


def new_task_ids(n):
    """n ids of 16 random bytes with the UUIDv4 version and variant bits (122 bits from the
    OS each), from one read of the OS's generator."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])
    return [bytes(raw[i:i + 16]) for i in range(0, 16 * n, 16)]


def new_task_id():
    return new_task_ids(1)[0]


def pack(value):
    return msgpack.packb(value, use_bin_type=True)


def unpack(data):
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise ProtocolError("malformed", str(e)) from None


def ordered_options(options):
    """The option map as sent: only the keys that are set, in OPTION_ORDER."""
    unknown = set(options) - set(OPTION_ORDER)
    if unknown:
        raise ValueError("unknown task option(s): " + ", ".join(sorted(unknown)))
    return {k: options[k] for k in OPTION_ORDER if options.get(k) not in (None, [], ())}


# ---- encoders: the body of each command ----

def hello(role, name, details=(), software=SOFTWARE, minor=MINOR):
    """details for a worker: [slots, prefetch, [task name, ...], [queue, ...]]."""
    return pack([role, name, minor, list(details), software])


def welcome(heartbeat_ms, liveness, max_message_bytes, max_batch, window_bytes):
    return pack([heartbeat_ms, liveness, max_message_bytes, max_batch, window_bytes])


def heartbeat(received=None):
    return pack([] if received is None else [received])


def bye(reason):
    return pack([reason])


def error(code, message, related=None, answers=None):
    body = [code, message, related]
    if answers is not None:
        body.append(int(answers))
    return pack(body)


def submit(tasks):
    """tasks: (task_id, name, queue, payload, options) tuples; options a dict."""
    return pack([[[i, n, q, p, ordered_options(o)] for i, n, q, p, o in tasks]])


def accepted(ids, refused=(), retry_after_ms=0):
    """refused: (task_id, [code, message, where]) pairs."""
    return pack([list(ids), [[i, list(e)] for i, e in refused], retry_after_ms])


def outcome_list(outcome):
    task_id, status, value = outcome
    return [task_id, status, value if status == "ok" else list(value)]


def result(outcomes):
    return pack([[outcome_list(o) for o in outcomes]])


def id_list(ids, terminate=False):
    return pack([list(ids), True] if terminate else [list(ids)])


def fetch(ids):
    return id_list(ids)


def fetched(entries, deferred=()):
    """entries: (task_id, state, outcome or None)."""
    return pack([[[i, s, None if o is None else outcome_list(o)] for i, s, o in entries],
                 list(deferred)])


def revoke(ids, terminate=False):
    return id_list(ids, terminate)


def requeue(ids):
    return id_list(ids)


def cancel(ids, terminate=False):
    return id_list(ids, terminate)


def purge(queue):
    return pack([queue])


def purged(queue, count):
    return pack([queue, count])


def inspect(what):
    return pack([what])


def admin(action, params=None, payload=None):
    body = [action]
    if payload:
        body += [params or {}, payload]
    elif params:
        body.append(params)
    return pack(body)


def report(what, rows):
    return pack([what, list(rows)])


def subscribe(on):
    return pack([bool(on)])


def events(items, dropped=0):
    """items: each event's msgpack bytes (a map), written as they are."""
    out = bytearray(b"\x92" + array_header(len(items)))
    for e in items:
        out += e
    out += pack(dropped)
    return bytes(out)


def array_header(n):
    if n < 16:
        return bytes([0x90 | n])
    if n < 0x10000:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def ready(credit):
    return pack([credit])


def dispatch(tasks):
    """tasks: (task_id, name, payload, attempt, options)."""
    return pack([[[i, n, p, a, ordered_options(o)] for i, n, p, a, o in tasks]])


def done(finished, credit, runtimes_us=None):
    """finished: (outcome, attempt, retry_countdown_ms or None); runtimes_us one per entry."""
    entries = []
    for outcome, attempt, countdown in finished:
        entry = outcome_list(outcome) + [attempt]
        if countdown is not None:
            entry.append(countdown)
        entries.append(entry)
    body = [entries, credit]
    if runtimes_us is not None:
        body.append(list(runtimes_us))
    return pack(body)


def attempts(tasks):
    return pack([[[i, a] for i, a in tasks]])


def started(tasks):
    return attempts(tasks)


def drain(tasks):
    return attempts(tasks)


# ---- decoders: shapes checked, ProtocolError("bad_body", field) otherwise ----

def bad(field, why):
    raise ProtocolError("bad_body", f"{field}: {why}")


def body_array(data, minimum, what):
    body = unpack(data)
    if not isinstance(body, list) or len(body) < minimum:
        bad(what, f"must be an array of at least {minimum} elements")
    return body


def check_id(value, field="task_id"):
    if not isinstance(value, bytes) or len(value) != 16:
        bad(field, "must be a 16-byte bin")
    return value


def check_list(value, field):
    if not isinstance(value, list):
        bad(field, "must be an array")
    return value


def check_str(value, field):
    if not isinstance(value, str):
        bad(field, "must be a str")
    return value


def check_uint(value, field):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        bad(field, "must be an unsigned integer")
    return value


def read_error(value, field="error"):
    if not isinstance(value, list) or len(value) < 3 or not all(
            isinstance(v, str) for v in value[:3]):
        bad(field, "must be [type, message, where]")
    return tuple(value[:3])


STATUSES = ("ok", "failed", "revoked", "unknown_task", "lost", "expired")


def read_outcome(value, field="outcome"):
    """(task_id, status, payload bytes or (type, message, where)), and the trailing elements."""
    if not isinstance(value, list) or len(value) < 3:
        bad(field, "must be [task_id, status, payload_or_error]")
    task_id = check_id(value[0], field)
    status = value[1]
    if status not in STATUSES:
        bad(field, f"unknown status {status!r}")
    if status == "ok":
        if not isinstance(value[2], bytes):
            bad(field, "an ok outcome's payload must be bin")
        return (task_id, status, value[2]), value[3:]
    return (task_id, status, read_error(value[2], field)), value[3:]


def read_welcome(data):
    b = body_array(data, 4, "WELCOME")
    window = b[4] if len(b) > 4 else 0
    return {"heartbeat_ms": check_uint(b[0], "heartbeat_ms"),
            "liveness": check_uint(b[1], "liveness"),
            "max_message_bytes": check_uint(b[2], "max_message_bytes"),
            "max_batch": check_uint(b[3], "max_batch"),
            "window_bytes": check_uint(window, "window_bytes")}


def read_hello(data):
    b = body_array(data, 4, "HELLO")
    role, name = check_str(b[0], "role"), check_str(b[1], "name")
    if role not in ("client", "worker"):
        bad("role", 'must be "client" or "worker"')
    details = check_list(b[3], "details")
    return {"role": role, "name": name, "minor": check_uint(b[2], "protocol_minor"),
            "details": details, "software": b[4] if len(b) > 4 else ""}


def read_error_reply(data):
    b = body_array(data, 3, "ERROR")
    related = b[2]
    if related is not None:
        check_id(related, "related")
    return {"code": check_str(b[0], "code"), "message": check_str(b[1], "message"),
            "related": related, "answers": b[3] if len(b) > 3 else None}


def read_accepted(data):
    b = body_array(data, 2, "ACCEPTED")
    ids = [check_id(i, "ids") for i in check_list(b[0], "ids")]
    refused = []
    for r in check_list(b[1], "refused"):
        if not isinstance(r, list) or len(r) < 2:
            bad("refused", "each must be [task_id, error]")
        refused.append((check_id(r[0], "refused"), read_error(r[1], "refused")))
    retry_after = check_uint(b[2], "retry_after_ms") if len(b) > 2 else 0
    return ids, refused, retry_after


def read_result(data):
    b = body_array(data, 1, "RESULT")
    return [read_outcome(o)[0] for o in check_list(b[0], "outcomes")]


def read_fetched(data):
    b = body_array(data, 1, "FETCHED")
    entries = []
    for e in check_list(b[0], "entries"):
        if not isinstance(e, list) or len(e) < 3:
            bad("entries", "each must be [task_id, state, outcome_or_nil]")
        state = check_str(e[1], "state")
        outcome = read_outcome(e[2])[0] if e[2] is not None else None
        entries.append((check_id(e[0], "entries"), state, outcome))
    deferred = [check_id(i, "deferred") for i in check_list(b[1], "deferred")] if len(b) > 1 else []
    return entries, deferred


def read_id_list(data, what):
    b = body_array(data, 1, what)
    ids = [check_id(i, "ids") for i in check_list(b[0], "ids")]
    terminate = bool(b[1]) if len(b) > 1 else False
    return ids, terminate


def read_purged(data):
    b = body_array(data, 2, "PURGED")
    return check_str(b[0], "queue"), check_uint(b[1], "count")


def read_report(data):
    b = body_array(data, 2, "REPORT")
    rows = check_list(b[1], "rows")
    for r in rows:
        if not isinstance(r, dict):
            bad("rows", "each must be a map")
    return check_str(b[0], "what"), rows


def read_events(data):
    b = body_array(data, 2, "EVENTS")
    return check_list(b[0], "events"), check_uint(b[1], "dropped")


def read_dispatch(data):
    """Good entries as (task_id, name, payload, attempt, options), and the bad ones as
    (task_id, attempt, problem) when the id could be read; entries without one are counted."""
    b = body_array(data, 1, "DISPATCH")
    good, malformed, unidentified = [], [], 0
    for e in check_list(b[0], "tasks"):
        if not isinstance(e, list) or not e or not isinstance(e[0], bytes) or len(e[0]) != 16:
            unidentified += 1
            continue
        attempt = e[3] if len(e) > 3 and isinstance(e[3], int) and e[3] > 0 else 1
        try:
            if len(e) < 4:
                bad("task", "must be [task_id, name, payload, attempt, options]")
            name = check_str(e[1], "name")
            if not name or len(name.encode()) > MAX_NAME_BYTES:
                bad("name", "must be 1..255 bytes")
            if not isinstance(e[2], bytes):
                bad("payload", "must be bin")
            options = e[4] if len(e) > 4 else {}
            if not isinstance(options, dict):
                bad("options", "must be a map")
            good.append((e[0], name, e[2], check_uint(e[3], "attempt"), options))
        except ProtocolError as err:
            malformed.append((e[0], attempt, err.message))
    return good, malformed, unidentified


def read_heartbeat(data):
    b = body_array(data, 0, "HEARTBEAT")
    return b[0] if b else None
