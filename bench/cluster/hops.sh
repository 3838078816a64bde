#!/usr/bin/env bash
# Where one round trip's time goes: N sequential add(1, 2) round trips through a broker and one
# worker (as bench/cluster/run.sh's latency figure), every process recording a timestamp at
# each hop (common/include/shoal/common/detail/hop_trace.hpp), then the median and p99 of each
# hop beside the bare ZeroMQ relay's round trip measured in the same run.
#
#   bench/cluster/hops.sh [N]          (default 5000; BUILD_DIR default build/hops)
#
# It needs a build with -DSHOAL_HOP_TRACE=ON (made here if BUILD_DIR has none): only
# hop_trace.cpp differs from a normal build, so ccache serves the rest.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-build/hops}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
round_trips="${1:-5000}"

if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_HOP_TRACE=ON \
    -DSHOAL_BUILD_TESTS=OFF >/dev/null
fi
ninja -C "$build_dir" shoal-broker shoal-worker shoal shoal_seed_tasks_plugin cluster_client zmq_relay >&2
grep -q "SHOAL_HOP_TRACE:BOOL=ON" "$build_dir/CMakeCache.txt" ||
  { echo "hops.sh: $build_dir is not a -DSHOAL_HOP_TRACE=ON build" >&2; exit 2; }

source "$root/bench/cluster/bench_lib.sh"  # out, pids, relay_round_trips
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
relay_round_trips "$build_dir" "$round_trips" "$out/relay.json"

mkdir "$out/hops"
# The daemons and the client inherit the variable; each writes its stamps when it exits.
SHOAL_HOP_TRACE_DIR="$out/hops" "$root/deploy/local-cluster.sh" --bin "$build_dir" --workers 1 \
  --threads 1 --processes 1 run "$build_dir/bench/cluster_client" latency "$round_trips" \
  >"$out/latency.json"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 "$root/bench/cluster/hop_breakdown.py" "$out/hops" --relay "$out/relay.json" \
  --latency "$out/latency.json"
