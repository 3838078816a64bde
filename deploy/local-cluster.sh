#!/usr/bin/env bash
# Starts a local Shoal cluster: one broker and N workers on this machine, loopback only,
# embedded defaults (results in the broker's memory, no Redis).
#
#   deploy/local-cluster.sh [options] up            run until Ctrl-C, then stop everything
#   deploy/local-cluster.sh [options] run CMD...    start, run CMD with SHOAL_BROKER set to the
#                                                   broker's endpoint, stop everything, exit
#                                                   with CMD's status
# Options:
#   --bin DIR       where shoal-broker, shoal-worker and shoal are (default build/demo)
#   --tasks LIB     task library the workers load (default: the seed tasks in --bin)
#   --workers N     how many workers (default 2)
#   --port P        broker port (default 0: a free one, printed)
#   --threads N / --processes N   pools per worker (defaults 2 and 2)
#   --logs DIR      daemons' logs (default: a temporary directory, removed at exit)
#   --worker-arg A  one more argument for every worker (repeatable), e.g. --worker-arg --prefetch
#   --broker-arg A  one more argument for the broker (repeatable), e.g. --broker-arg --redis
#                   --broker-arg redis://127.0.0.1:6379 for durable tasks and results
#   --secure        CURVE encryption and keys (SECURITY.md): a broker key pair, a key per
#                   worker, a client key and an admin key are made with `shoal keygen`; `run`
#                   gets SHOAL_BROKER_KEY and SHOAL_KEY (the client key) in its environment
#   --keys DIR      where --secure keeps its keys (default: a keys/ folder in the logs); keys
#                   already there are used again, so a client outside can keep using them
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/build/demo"
tasks=""
workers=2
port=0
threads=2
processes=2
logs=""
worker_args=()
broker_args=()
secure=0
keys=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --processes) processes="$2"; shift 2 ;;
    --logs) logs="$2"; shift 2 ;;
    --worker-arg) worker_args+=("$2"); shift 2 ;;
    --broker-arg) broker_args+=("$2"); shift 2 ;;
    --secure) secure=1; shift ;;
    --keys) keys="$2"; shift 2 ;;
    up|run) break ;;
    *) echo "local-cluster: unknown option $1" >&2; exit 2 ;;
  esac
done
mode="${1:-}"
[[ "$mode" == up || "$mode" == run ]] || { echo "usage: $0 [options] up | run CMD..." >&2; exit 2; }
shift
[[ "$mode" == up || $# -gt 0 ]] || { echo "local-cluster: run needs a command" >&2; exit 2; }

broker_exe="$bin/broker/shoal-broker"
worker_exe="$bin/worker/shoal-worker"
cli_exe="$bin/client/shoal"
tasks="${tasks:-$(ls "$bin"/examples/tasks/libshoal_seed_tasks_plugin.so 2>/dev/null || true)}"
for f in "$broker_exe" "$worker_exe" "$cli_exe" "$tasks"; do
  [[ -n "$f" && -e "$f" ]] || { echo "local-cluster: missing $f (build first: scripts/demo.sh)" >&2; exit 2; }
done

own_logs=0
if [[ -z "$logs" ]]; then logs="$(mktemp -d)"; own_logs=1; fi
mkdir -p "$logs"
pids=()

stop_all() {
  local status=$?
  # Workers first (they drain), then the broker; SIGKILL whatever outlives its grace.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ $own_logs == 1 ]] && rm -rf "$logs"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# --secure: keys in $keys: broker.key(_secret), own/ (every peer's pair) and authorised/ (the
# broker's keys_dir: the public halves, by role).
cli_keys=()
if [[ $secure == 1 ]]; then
  keys="${keys:-$logs/keys}"
  mkdir -p "$keys/own" "$keys/authorised/clients" "$keys/authorised/workers" "$keys/authorised/admins"
  key_pair() {  # NAME DIR: makes NAME's pair in DIR unless it is there
    [[ -e "$2/$1.key_secret" ]] || "$cli_exe" keygen "$1" --dir "$2" >/dev/null
  }
  key_pair broker "$keys"
  key_pair client "$keys/own" && cp "$keys/own/client.key" "$keys/authorised/clients/"
  key_pair admin "$keys/own" && cp "$keys/own/admin.key" "$keys/authorised/admins/"
  for ((i = 1; i <= workers; i++)); do
    key_pair "worker-$i" "$keys/own" && cp "$keys/own/worker-$i.key" "$keys/authorised/workers/"
  done
  broker_args+=(--secret-key "$keys/broker.key_secret" --keys-dir "$keys/authorised")
  cli_keys=(--broker-key "$keys/broker.key" --key "$keys/own/admin.key_secret")
  echo "keys    $keys (CURVE on; client key $keys/own/client.key_secret)" >&2
fi
worker_keys() {  # N: the key arguments of worker N
  [[ $secure == 1 ]] && echo "--broker-key $keys/broker.key --key $keys/own/worker-$1.key_secret"
  return 0
}

# The broker prints its bound endpoint first on stdout.
coproc BROKER { exec "$broker_exe" --bind "tcp://127.0.0.1:${port}" --print-endpoint ${broker_args[@]+"${broker_args[@]}"} 2>"$logs/broker.log"; }
pids+=("$BROKER_PID")
read -r -t 20 endpoint <&"${BROKER[0]}" || { echo "local-cluster: the broker did not start; see below" >&2; cat "$logs/broker.log" >&2; exit 1; }
echo "broker  $endpoint (pid $BROKER_PID, log $logs/broker.log)" >&2

for ((i = 1; i <= workers; i++)); do
  "$worker_exe" --broker "$endpoint" --tasks "$tasks" --name "worker-$i@$(hostname)" \
    --threads "$threads" --processes "$processes" $(worker_keys "$i") ${worker_args[@]+"${worker_args[@]}"} \
    2>"$logs/worker-$i.log" &
  pids+=("$!")
  echo "worker  worker-$i (pid $!, log $logs/worker-$i.log)" >&2
done

# Ready when the broker reports every worker (at most 20 s).
ready=0
for _ in $(seq 400); do
  n=$("$cli_exe" inspect workers --json --broker "$endpoint" ${cli_keys[@]+"${cli_keys[@]}"} 2>/dev/null | grep -o '"name"' | wc -l || true)
  if [[ "$n" -ge "$workers" ]]; then ready=1; break; fi
  sleep 0.05
done
if [[ $ready != 1 ]]; then
  echo "local-cluster: only $n of $workers workers registered; their logs:" >&2
  tail -n 20 "$logs"/worker-*.log >&2
  exit 1
fi
echo "cluster ready: $workers workers" >&2

export SHOAL_BROKER="$endpoint"
if [[ $secure == 1 ]]; then
  export SHOAL_BROKER_KEY="$keys/broker.key" SHOAL_KEY="$keys/own/client.key_secret"
fi
if [[ "$mode" == up ]]; then
  echo "press Ctrl-C to stop" >&2
  wait "${pids[0]}"
else
  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi
