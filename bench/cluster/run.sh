#!/usr/bin/env bash
# The distributed path's figures, each beside its peer measured in the same run:
#   - no-op throughput through client -> broker -> worker -> broker -> client (target >= 300,000/s)
#   - one task's round trip, p50 and p99, beside a bare ZeroMQ DEALER-ROUTER-DEALER relay
#     (bench/cluster/zmq_relay.cpp) on the same three-process path (targets 1.3x and 2x)
#   - the broker's memory per queued task beyond its payload, 1,000,000 queued (target < 300 B)
# Everything runs on this machine, on loopback.
#
# Environment: BUILD_DIR (default build/release), TASKS (throughput batch, default 500000),
# ROUND_TRIPS (default 5000), QUEUED (default 1000000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-build/release}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
tasks="${TASKS:-500000}"
round_trips="${ROUND_TRIPS:-5000}"
queued="${QUEUED:-1000000}"
python=/usr/bin/python3

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_EXAMPLES=OFF >/dev/null
fi
ninja -C "$build_dir" shoal-broker shoal-worker shoal shoal_seed_tasks_plugin cluster_client zmq_relay >&2

source "$root/bench/cluster/bench_lib.sh"  # out, pids, relay_round_trips
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- the peer: a bare relay, three processes ------------------------------------------------
echo "running the relay's round trips ..." >&2
relay_round_trips "$build_dir" "$round_trips" "$out/relay.json"

# --- Shoal: the same path through a real broker and worker ----------------------------------
cluster=("$root/deploy/local-cluster.sh" --bin "$build_dir" --workers 1 --threads 1 --processes 1)
echo "running Shoal's round trips ..." >&2
"${cluster[@]}" run "$build_dir/bench/cluster_client" latency "$round_trips" >"$out/latency.json"
echo "running Shoal's throughput ($tasks no-op tasks) ..." >&2
"${cluster[@]}" --worker-arg --concurrency --worker-arg 1024 --worker-arg --prefetch --worker-arg 1024 \
  run "$build_dir/bench/cluster_client" throughput "$tasks" >"$out/throughput.json"

# --- the broker's memory with a million queued tasks (no worker: they stay queued) ----------
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
coproc BROKER { exec "$build_dir/broker/shoal-broker" --bind tcp://127.0.0.1:0 --print-endpoint 2>/dev/null; }
pids+=("$BROKER_PID")
read -r -t 10 broker_endpoint <&"${BROKER[0]}"
before=$(rss_kb "$BROKER_PID")
echo "queueing $queued tasks at a broker with no worker ..." >&2
SHOAL_BROKER="$broker_endpoint" "$build_dir/bench/cluster_client" fill "$queued" >"$out/fill.json"
after=$(rss_kb "$BROKER_PID")
echo "{\"queued\": $queued, \"rss_before_kb\": $before, \"rss_after_kb\": $after}" >"$out/memory.json"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
relay = json.loads((out / "relay.json").read_text())
lat = json.loads((out / "latency.json").read_text())
thr = json.loads((out / "throughput.json").read_text())
mem = json.loads((out / "memory.json").read_text())
# A no-op task's payload is its argument list, the msgpack empty array: one byte.
payload = 1
per_task = (mem["rss_after_kb"] - mem["rss_before_kb"]) * 1024 / mem["queued"] - payload
rows = [
    ("no-op tasks/s, whole path", f'{thr["tasks_per_s"]:,.0f}', "", "", ">= 300,000",
     thr["tasks_per_s"] >= 300_000 and thr["failed"] == 0),
    ("round trip p50", f'{lat["p50_us"]:.1f} us', f'{relay["p50_us"]:.1f} us',
     f'{lat["p50_us"] / relay["p50_us"]:.2f}x', "<= 1.3x relay", lat["p50_us"] <= 1.3 * relay["p50_us"]),
    ("round trip p99", f'{lat["p99_us"]:.1f} us', f'{relay["p99_us"]:.1f} us',
     f'{lat["p99_us"] / relay["p99_us"]:.2f}x', "<= 2x relay", lat["p99_us"] <= 2 * relay["p99_us"]),
    (f'broker bytes per queued task ({mem["queued"]:,})', f"{per_task:.0f} B", "", "", "< 300 B", per_task < 300),
]
print("| figure | shoal | bare zmq relay | ratio | target | result |")
print("|---|---|---|---|---|---|")
for name, ours, peer, ratio, target, ok in rows:
    print(f"| {name} | {ours} | {peer} | {ratio} | {target} | {'PASS' if ok else 'MISS'} |")
PY
