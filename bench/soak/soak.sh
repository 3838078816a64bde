#!/usr/bin/env bash
# bench/soak/soak.sh: a long mixed load against one real broker on loopback, its memory sampled
# all along. Not part of CI (30 minutes by default).
#
#   bench/soak/soak.sh                       # 30 minutes; builds build/release if needed
#   bench/soak/soak.sh --minutes 4           # a short run
#   BUILD_DIR=build/test-release bench/soak/soak.sh --minutes 4 --sample-s 5
#
# The load (bench/soak/soak_load.cpp): blobs of 16 B to 16 KiB submitted in waves every 100 ms
# and every result checked, FETCHes by id from a second client, tasks revoked while held and
# while running; a slow client (2,000 tasks every 4 s) stopped (SIGSTOP) 6 s out of every 20,
# within the broker's liveness (10 s), so that its output window fills while its session lives;
# a worker replaced every 60 s, by kill -9 and by SIGTERM (a drain) in turn. The broker keeps
# results 20 s (--result-ttl-s 20) and finished ids 30 s (--dedup-window-s 30), so that what it
# holds reaches its steady state within the warm-up (with the default 24 h window, the expired
# ids' tombstones grow for the first minutes, up to --max-tombstones, 1,000,000: ~90 MiB); it
# has a 1 MiB output window per peer.
#
# Printed: the broker's RSS every --sample-s seconds, its `inspect stats` at the end, both
# loads' totals, and the verdict: after a warm-up (the larger of 60 s and a fifth of the run)
# the samples are cut in thirds, and the RSS is flat when the last third's maximum is within
# 10% of the first third's. Exit 0 when it is flat and every result came right, 1 otherwise.
set -euo pipefail

MINUTES=30
SAMPLE_S=5
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --sample-s) SAMPLE_S="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build/release}"
case "$BUILD_DIR" in /*) B="$BUILD_DIR" ;; *) B="$ROOT/$BUILD_DIR" ;; esac
if [ ! -f "$B/build.ninja" ]; then
  cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$B" --target shoal-broker shoal-worker shoal soak_load shoal_seed_tasks_plugin >/dev/null

BROKER="$B/broker/shoal-broker"
WORKER="$B/worker/shoal-worker"
CLI="$B/client/shoal"
LOAD="$B/bench/soak_load"
PLUGIN="$B/examples/tasks/libshoal_seed_tasks_plugin.so"
SECONDS_TOTAL=$((MINUTES * 60))
TMP="$(mktemp -d /tmp/shoal-soak-XXXXXX)"
PIDS=()

cleanup() {
  # Only what this script started, by pid.
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

"$BROKER" --bind tcp://127.0.0.1:0 --print-endpoint --result-ttl-s 20 --dedup-window-s 30 --window-bytes 1048576 \
  --heartbeat-ms 1000 --liveness 10 --log-level warn >"$TMP/broker.out" 2>"$TMP/broker.err" &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
EP=""
for _ in $(seq 1 200); do
  EP="$(head -n1 "$TMP/broker.out" 2>/dev/null || true)"
  case "$EP" in tcp://*) break ;; esac
  sleep 0.1
done
case "$EP" in tcp://*) ;; *) echo "soak.sh: the broker did not start" >&2; cat "$TMP/broker.err" >&2; exit 1 ;; esac

WORKER_PIDS=()
WORKER_NO=0
start_worker() {
  WORKER_NO=$((WORKER_NO + 1))
  "$WORKER" --broker "$EP" --tasks "$PLUGIN" --name "soak-w$WORKER_NO" --concurrency 64 --log-level warn \
    2>>"$TMP/workers.err" &
  local pid=$!
  PIDS+=("$pid")
  WORKER_PIDS+=("$pid")
}
start_worker
start_worker

"$LOAD" --broker "$EP" --seconds "$SECONDS_TOTAL" --role main --seed 1 >"$TMP/main.json" 2>"$TMP/main.err" &
MAIN_PID=$!
PIDS+=("$MAIN_PID")
"$LOAD" --broker "$EP" --seconds "$SECONDS_TOTAL" --role slow --seed 2 >"$TMP/slow.json" 2>"$TMP/slow.err" &
SLOW_PID=$!
PIDS+=("$SLOW_PID")

echo "soak: broker $EP (pid $BROKER_PID), $MINUTES min, RSS every $SAMPLE_S s"
START=$(date +%s)
NEXT_SAMPLE=0
STOPPED=0
RESTARTS=0
: >"$TMP/rss"
# Bounded: the run, plus 5 minutes for the loads to collect what is outstanding.
while :; do
  NOW=$(( $(date +%s) - START ))
  [ "$NOW" -gt $((SECONDS_TOTAL + 300)) ] && break
  if ! kill -0 "$MAIN_PID" 2>/dev/null && ! kill -0 "$SLOW_PID" 2>/dev/null; then break; fi
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then echo "soak.sh: the broker died" >&2; break; fi
  if [ "$NOW" -ge "$NEXT_SAMPLE" ]; then
    RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$BROKER_PID/status")
    echo "$NOW $RSS" >>"$TMP/rss"
    NEXT_SAMPLE=$((NEXT_SAMPLE + SAMPLE_S))
  fi
  # The slow client: stopped from second 0 to 6 of every 20 (while the load runs).
  PHASE=$((NOW % 20))
  if [ "$NOW" -lt "$SECONDS_TOTAL" ] && [ "$PHASE" -lt 6 ] && [ "$STOPPED" -eq 0 ]; then
    kill -STOP "$SLOW_PID" 2>/dev/null || true; STOPPED=1
  elif { [ "$PHASE" -ge 6 ] || [ "$NOW" -ge "$SECONDS_TOTAL" ]; } && [ "$STOPPED" -eq 1 ]; then
    kill -CONT "$SLOW_PID" 2>/dev/null || true; STOPPED=0
  fi
  # A worker replaced every 60 s: kill -9 and SIGTERM (drain) in turn.
  if [ "$NOW" -lt "$SECONDS_TOTAL" ] && [ "$NOW" -ge $(( (RESTARTS + 1) * 60 )) ]; then
    RESTARTS=$((RESTARTS + 1))
    OLD="${WORKER_PIDS[0]}"
    WORKER_PIDS=("${WORKER_PIDS[@]:1}")
    if [ $((RESTARTS % 2)) -eq 1 ]; then kill -KILL "$OLD" 2>/dev/null || true; else kill -TERM "$OLD" 2>/dev/null || true; fi
    start_worker
  fi
  sleep 1
done
kill -CONT "$SLOW_PID" 2>/dev/null || true
MAIN_RC=0; wait "$MAIN_PID" || MAIN_RC=$?
SLOW_RC=0; wait "$SLOW_PID" || SLOW_RC=$?

echo "== broker RSS (s KiB)"
cat "$TMP/rss"
echo "== broker inspect stats"
"$CLI" inspect stats --broker "$EP" --timeout 10 || true
echo "== loads"
cat "$TMP/main.json" "$TMP/slow.json"
tail -n 3 "$TMP/main.err" "$TMP/slow.err" 2>/dev/null || true
echo "== worker replacements: $RESTARTS"

VERDICT=$(awk -v total="$SECONDS_TOTAL" '
  { t[n] = $1; r[n] = $2; n++ }
  END {
    warm = total / 5; if (warm < 60) warm = 60;
    m = 0; for (i = 0; i < n; i++) if (t[i] >= warm && t[i] <= total) { s[m] = r[i]; m++ }
    if (m < 3) { print "UNKNOWN too few samples after the warm-up (" m ")"; exit }
    third = int(m / 3); a = 0; b = 0;
    for (i = 0; i < third; i++) if (s[i] > a) a = s[i];
    for (i = m - third; i < m; i++) if (s[i] > b) b = s[i];
    min = s[0]; max = s[0]; for (i = 0; i < m; i++) { if (s[i] < min) min = s[i]; if (s[i] > max) max = s[i] }
    flat = (b <= a * 1.10) ? "FLAT" : "GROWING";
    printf "%s after a %d s warm-up: first third max %d KiB, last third max %d KiB (%+.1f%%); min %d, max %d KiB over %d samples\n", flat, warm, a, b, (b - a) * 100.0 / a, min, max, m
  }' "$TMP/rss")
echo "== verdict: $VERDICT"
[ "$MAIN_RC" -eq 0 ] && [ "$SLOW_RC" -eq 0 ] && case "$VERDICT" in FLAT*) exit 0 ;; *) exit 1 ;; esac
echo "soak.sh: main load exit $MAIN_RC, slow load exit $SLOW_RC" >&2
exit 1
