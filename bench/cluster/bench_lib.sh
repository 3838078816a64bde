# Sourced by bench/cluster/run.sh and hops.sh: a scratch folder `out` and the processes
# (`pids`) stopped whatever happens, and the bare relay's round trips, the floor every round
# trip of Shoal is set beside.

out="$(mktemp -d)"
pids=()
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$out"
}
trap cleanup EXIT

# relay_round_trips BUILD_DIR N FILE: a DEALER-ROUTER-DEALER relay in three processes
# (bench/cluster/zmq_relay.cpp), N round trips, its JSON (p50_us, p99_us, ...) to FILE.
relay_round_trips() {
  local relay="$1/bench/zmq_relay" endpoint
  coproc RELAY { exec "$relay" router tcp://127.0.0.1:0; }
  pids+=("$RELAY_PID")
  read -r -t 10 endpoint <&"${RELAY[0]}"
  "$relay" echo "$endpoint" &
  pids+=("$!")
  "$relay" client "$endpoint" "$2" >"$3"
}
