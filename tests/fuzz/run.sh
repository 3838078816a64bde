#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/README.md) with clang in build/fuzz, replays the
# committed seed corpus through each, then fuzzes each for a bounded time. Exits non-zero, and
# names the crashing input, if any target crashed.
#
#     tests/fuzz/run.sh [seconds_per_target]      # default 20; 0: replay the corpus only
#
# New inputs go to a temporary directory, never into tests/fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-20}
build=build/fuzz
corpus=tests/fuzz/corpus
jobs=$(nproc)

echo "=== fuzz: configure and build (clang) ==="
# ccache hits whatever folder the clone is in (the top-level CMakeLists uses it when present).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHOAL_BUILD_FUZZ=ON -DSHOAL_BUILD_BENCH=OFF -DSHOAL_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target shoal_fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for dir in "$corpus"/*/; do
  target=$(basename "$dir")
  exe="$build/tests/fuzz/$target"
  [ -x "$exe" ] || { echo "fuzz: no target $target for $dir"; failed+=("$target"); continue; }
  mkdir -p "$work/$target/new" "$work/$target/artifacts"
  log="$work/$target/log"
  args=(-timeout=5 -rss_limit_mb=2048 -artifact_prefix="$work/$target/artifacts/")

  echo "=== fuzz: $target: replay $(ls "$dir" | wc -l) seed inputs ==="
  if ! "$exe" "${args[@]}" -runs=0 "$dir" >"$log" 2>&1; then
    tail -n 40 "$log"; failed+=("$target")
  elif [ "$seconds" -gt 0 ]; then
    echo "=== fuzz: $target: ${seconds} s ==="
    if "$exe" "${args[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        "$work/$target/new" "$dir" >"$log" 2>&1; then
      grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" |
        tr '\n' ' '; echo
    else
      tail -n 40 "$log"; failed+=("$target")
    fi
  fi
  for crash in "$work/$target"/artifacts/*; do
    [ -e "$crash" ] || continue
    echo "fuzz: $target: crashing input $(basename "$crash") (base64, save it to reproduce with $exe <file>):"
    base64 -w 0 "$crash"; echo
    mkdir -p "$build/crashes/$target" && cp "$crash" "$build/crashes/$target/"
    echo "fuzz: $target: kept in $build/crashes/$target/$(basename "$crash")"
  done
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all targets clean"
