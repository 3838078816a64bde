#!/usr/bin/env bash
# Durable mode's throughput beside memory mode's, in one run: the same no-op batch through
# client -> broker -> worker -> broker -> client, first with everything in the broker's
# memory, then with Redis (a redis-server started here, AOF on) at appendfsync everysec, then
# at appendfsync always. Targets: everysec >= 100,000 tasks/s, always >= 30,000 tasks/s,
# memory mode as before (>= 300,000/s, bench/cluster/run.sh).
#
# Environment: BUILD_DIR (default build/release), TASKS (default 300000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-build/release}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
tasks="${TASKS:-300000}"
python=/usr/bin/python3

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_EXAMPLES=OFF >/dev/null
fi
ninja -C "$build_dir" shoal-broker shoal-worker shoal shoal_seed_tasks_plugin cluster_client >&2

out="$(mktemp -d)"
redis_pid=""
cleanup() {
  [[ -n "$redis_pid" ]] && kill -KILL "$redis_pid" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# A free loopback port for Redis.
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$out/redis"
redis-server --port "$port" --bind 127.0.0.1 --dir "$out/redis" --appendonly yes \
  --appendfsync everysec --save "" --daemonize no --logfile "$out/redis/redis.log" &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$port" ping >/dev/null

run() {  # name, then local-cluster options
  local name="$1"; shift
  echo "running $name ($tasks no-op tasks) ..." >&2
  "$root/deploy/local-cluster.sh" --bin "$build_dir" --workers 1 --threads 1 --processes 1 \
    --worker-arg --concurrency --worker-arg 1024 --worker-arg --prefetch --worker-arg 1024 "$@" \
    run "$build_dir/bench/cluster_client" throughput "$tasks" >"$out/$name.json"
}
durable=(--broker-arg --redis --broker-arg "redis://127.0.0.1:$port")
run memory
redis-cli -p "$port" config set appendfsync everysec >/dev/null
run everysec "${durable[@]}"
redis-cli -p "$port" flushall >/dev/null
redis-cli -p "$port" config set appendfsync always >/dev/null
run always "${durable[@]}"
left="$(redis-cli -p "$port" hlen shoal:tasks)"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$out" "$left" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
left = int(sys.argv[2])
runs = {n: json.loads((out / f"{n}.json").read_text()) for n in ("memory", "everysec", "always")}
mem = runs["memory"]["tasks_per_s"]
rows = [
    ("memory (no Redis)", runs["memory"], ">= 300,000", mem >= 300_000),
    ("Redis, appendfsync everysec", runs["everysec"], ">= 100,000", runs["everysec"]["tasks_per_s"] >= 100_000),
    ("Redis, appendfsync always", runs["always"], ">= 30,000", runs["always"]["tasks_per_s"] >= 30_000),
]
print("| mode | tasks | tasks/s | vs memory | failed | target | result |")
print("|---|---|---|---|---|---|---|")
for name, r, target, ok in rows:
    ok = ok and r["failed"] == 0
    print(f'| {name} | {r["tasks"]:,} | {r["tasks_per_s"]:,.0f} | {r["tasks_per_s"] / mem:.2f}x | '
          f'{r["failed"]} | {target} | {"PASS" if ok else "MISS"} |')
print(f"task records left in Redis after the runs: {left} (0 expected: every task finished)")
PY
