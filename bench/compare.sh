#!/usr/bin/env bash
# Runs Shoal's runtime benchmarks and the Python asyncio peer in one go and prints one table:
#   operation | shoal | asyncio | ratio (asyncio time / shoal time) | target | PASS/MISS
# See bench/README.md for what each figure means.
#
# Environment:
#   BUILD_DIR   build tree to use (default build/release); configured Release with Ninja if
#               it does not exist yet, and only the bench targets are built.
#   REPEATS     repetitions per microbenchmark, median reported (default 5)
#   QUICK=1     shorter runs (noisier)
#   NO_COUNT=1  skip the count example (its Python side takes ~10 s)
#   KEEP=dir    keep the raw JSON outputs in dir
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-build/release}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
repeats="${REPEATS:-5}"
min_time=0.3
peer_flags=()
if [[ "${QUICK:-0}" == 1 ]]; then
  min_time=0.1
  repeats=3
  peer_flags+=(--quick)
fi
if [[ "${NO_COUNT:-0}" == 1 ]]; then
  peer_flags+=(--no-count)
fi
python=/usr/bin/python3

# --- build (only if needed: ninja does nothing when up to date) ------------------------------
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_EXAMPLES=OFF >/dev/null
fi
ninja -C "$build_dir" runtime_bench sleep_100k count_example >&2

out="${KEEP:-$(mktemp -d)}"
mkdir -p "$out"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$out"' EXIT

# --- run: ours, then Python's, in this same run ---------------------------------------------
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "running runtime_bench ..." >&2
"$build_dir/bench/runtime_bench" --benchmark_format=json \
  --benchmark_min_time="$min_time" --benchmark_repetitions="$repeats" \
  --benchmark_report_aggregates_only=true >"$out/shoal_runtime.json" 2>"$out/shoal_runtime.err"
echo "running sleep_100k ..." >&2
"$build_dir/bench/sleep_100k" >"$out/shoal_sleep.json"
if [[ "${NO_COUNT:-0}" == 1 ]]; then
  echo '{}' >"$out/shoal_count.json"
else
  echo "running count_example ..." >&2
  "$build_dir/bench/count_example" >"$out/shoal_count.json"
fi
echo "running asyncio_peer.py ..." >&2
"$python" "$root/bench/asyncio_peer.py" "${peer_flags[@]}" >"$out/asyncio.json"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- the table ------------------------------------------------------------------------------
"$python" - "$out" <<'PY'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
runtime = json.loads((out / "shoal_runtime.json").read_text())
sleep = json.loads((out / "shoal_sleep.json").read_text())
count = json.loads((out / "shoal_count.json").read_text())
peer = json.loads((out / "asyncio.json").read_text())

# Median ns/op per benchmark (aggregates only; plain runs if repetitions were 1).
# CPU ns/op scales the wall figure by the benchmark's cpu_time/real_time (main thread only).
shoal_ns, shoal_cpu_ns = {}, {}
for b in runtime["benchmarks"]:
    name = b["run_name"].split("/")[0]
    if b.get("aggregate_name", "median") == "median":
        shoal_ns[name] = b["ns_per_op"]
        shoal_cpu_ns[name] = b["ns_per_op"] * b["cpu_time"] / b["real_time"]

RUNTIME_RATIO = 30.0
rows = []
cpu_ratios = []


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.1f} ns"


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def timed_row(label, key, target_text, check):
    ours = shoal_ns.get(key)
    theirs = peer.get(key, {}).get("ns_per_op")
    ratio = theirs / ours if ours and theirs else None
    rows.append([label, fmt_ns(ours), fmt_ns(theirs),
                 "n/a" if ratio is None else f"{ratio:.1f}x",
                 target_text, verdict(None if ours is None else check(ours, ratio))])


for label, key in [("call_soon (per callback)", "call_soon_throughput"),
                   ("create_task + await", "create_task_await"),
                   ("future resolved, then awaited", "future_resolved_await"),
                   ("gather of 1000 trivial tasks", "gather_1000")]:
    peer_key = "call_soon" if key == "call_soon_throughput" else key
    ours = shoal_ns.get(key)
    theirs = peer.get(peer_key, {}).get("ns_per_op")
    ratio = theirs / ours if ours and theirs else None
    cpu_ours = shoal_cpu_ns.get(key)
    cpu_theirs = peer.get(peer_key, {}).get("cpu_ns_per_op")
    if cpu_ours and cpu_theirs:
        cpu_ratios.append(f"  {label}: shoal {fmt_ns(cpu_ours)}, asyncio {fmt_ns(cpu_theirs)}, "
                          f"{cpu_theirs / cpu_ours:.1f}x")
    rows.append([label, fmt_ns(ours), fmt_ns(theirs),
                 "n/a" if ratio is None else f"{ratio:.1f}x", f">= {RUNTIME_RATIO:.0f}x asyncio",
                 verdict(None if ratio is None else ratio >= RUNTIME_RATIO)])

timed_row("thread pool round trip", "thread_pool_round_trip", "< 10 us",
          lambda ns, _: ns < 10_000)
timed_row("process pool round trip", "process_pool_round_trip", "< 40 us",
          lambda ns, _: ns < 40_000)

psleep = peer.get("sleep_100k", {})
rows.append(["100k sleep(1.0): wall", f"{sleep['wall_s']:.3f} s", f"{psleep.get('wall_s', 0):.3f} s",
             f"{psleep['wall_s'] / sleep['wall_s']:.1f}x" if psleep else "n/a", "<= 1.05 s",
             verdict(sleep["wall_s"] <= 1.05)])
rows.append(["100k sleep(1.0): peak RSS", f"{sleep['peak_rss_mb']:.1f} MB",
             f"{psleep.get('peak_rss_mb', 0):.1f} MB",
             f"{psleep['peak_rss_mb'] / sleep['peak_rss_mb']:.1f}x" if psleep else "n/a", "< 60 MB",
             verdict(sleep["peak_rss_mb"] < 60)])

if count:
    pcount = peer.get("count_example", {})
    for label, key in [("count: sequential", "sequential_s"),
                       ("count: thread pool(5)", "thread_pool_s"),
                       ("count: process pool(2)", "process_pool_s")]:
        ours, theirs = count.get(key), pcount.get(key)
        rows.append([label, "n/a" if ours is None else f"{ours:.3f} s",
                     "n/a" if theirs is None else f"{theirs:.3f} s",
                     f"{theirs / ours:.1f}x" if ours and theirs else "n/a", "", ""])
    speedup = count.get("speedup_process_pool")
    pspeed = pcount.get("speedup_process_pool")
    rows.append(["count: process pool speedup", "n/a" if speedup is None else f"{speedup:.2f}x",
                 "n/a" if pspeed is None else f"{pspeed:.2f}x", "",
                 ">= 1.8x sequential", verdict(None if speedup is None else speedup >= 1.8)])

header = ["operation", "shoal", "asyncio", "ratio", "target", "result"]
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
print(line(header))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
print(f"\nratio = asyncio time / shoal time (higher is better for shoal); "
      f"Python {peer.get('python')}; shoal figures are medians of the repetitions, "
      f"asyncio figures medians of its runs.")
if cpu_ratios:
    print("CPU time per op (less sensitive to other load on the machine; verdicts use wall):")
    print("\n".join(cpu_ratios))
if count and count.get("process_pool_warm_s") is not None:
    print(f"count example, process pool with the pool already up: "
          f"{count['process_pool_warm_s']:.3f} s "
          f"({count['sequential_s'] / count['process_pool_warm_s']:.2f}x sequential)")
PY
