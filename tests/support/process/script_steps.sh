# Shared by the shell tests that run real processes (tests/integration/*_test.sh), sourced:
#   source "$(dirname "${BASH_SOURCE[0]}")/../support/process/script_steps.sh" NAME
# gives $work (a temporary directory, removed at exit), start_bg (a background process
# stopped at exit), fail, step, and start_broker (a broker on a free loopback port).
script_name=${1:-test}
work="$(mktemp -d "/tmp/shoal-${script_name}.XXXXXX")"
background_pids=()
stop_everything() {
  for pid in "${background_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${background_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_everything EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
# start_bg LOG COMMAND...: runs COMMAND in the background, stdout and stderr to LOG; its pid
# in $last_pid (stopped with SIGTERM at exit, or earlier with stop_bg).
start_bg() {
  local log=$1; shift
  "$@" > "$log" 2>&1 &
  last_pid=$!
  background_pids+=("$last_pid")
}
stop_bg() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# start_broker BROKER_BINARY: a broker on a free loopback port; its endpoint in $endpoint
# (waits up to 30 s for it; fails the test if it does not come).
start_broker() {
  local out="$work/broker.out"
  "$1" --bind tcp://127.0.0.1:0 --print-endpoint --log-level warn > "$out" 2> "$work/broker.err" &
  background_pids+=("$!")
  endpoint=""
  for _ in $(seq 1 300); do
    endpoint="$(head -n1 "$out" 2>/dev/null || true)"
    [ -n "$endpoint" ] && return 0
    sleep 0.1
  done
  cat "$work/broker.err" >&2
  fail "the broker $1 did not start"
}
