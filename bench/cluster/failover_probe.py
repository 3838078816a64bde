"""The failover figure's client (bench/suite/failover_side.py): Shoal's Python client, given
every broker of the cluster ($SHOAL_BROKER, comma-separated), submits add(i, i) at a steady rate
for SECONDS and waits for every result. Prints "ready" once connected, then, at the end, one
JSON object: each task's submit and result times (time.monotonic(), the same clock as the
parent's on Linux), whether its value was right, and the code of the broker's refusal if it
refused the task at submit (e.g. `unavailable`; the client does not send such a task again).

    python3 failover_probe.py SECONDS RATE_PER_S
"""

import json
import os
import sys
import threading
import time

import shoal


def main():
    seconds, rate = float(sys.argv[1]), float(sys.argv[2])
    client = shoal.Client(os.environ["SHOAL_BROKER"], connect_timeout=30)
    print("ready", flush=True)
    done = {}
    lock = threading.Lock()

    def record(i, future):
        error = future.exception()
        value = future.result() if error is None else None
        # A refusal (`unavailable`: no Redis to store the task in) is the caller's to send again:
        # the client raises it (TaskRefused), it does not resend it. Its code is kept, apart.
        refused = error.code if isinstance(error, shoal.TaskRefused) else None
        with lock:
            done[i] = (time.monotonic(), value == 2 * i, refused)

    sent = []
    step = 1.0 / rate
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < seconds:
        sent.append(time.monotonic())
        future = client.submit("add", i, i)
        future.add_done_callback(lambda f, i=i: record(i, f))
        i += 1
        time.sleep(max(0.0, start + i * step - time.monotonic()))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(done) == len(sent):
                break
        time.sleep(0.05)
    client.close()
    with lock:
        tasks = [{"sent": sent[k], "done": done[k][0] if k in done else None,
                  "right": done[k][1] if k in done else False,
                  "refused": done[k][2] if k in done else None} for k in range(len(sent))]
    print(json.dumps({"tasks": tasks}), flush=True)


if __name__ == "__main__":
    main()
