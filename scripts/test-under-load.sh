#!/usr/bin/env bash
# Runs the test suites while a CPU hog keeps every core busy, several rounds over, and reports
# every test that failed even once. A test that passes only on an idle machine fails here.
#
#     scripts/test-under-load.sh [--rounds N] [--suites release,asan] [--hogs N] [-- ctest args]
#
# Defaults: 3 rounds of the release and ASan suites, one hog per core. Builds what it runs
# (as scripts/test.sh does). Exit 0 only if no test failed in any round.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/suites.sh

rounds=3
suites=release,asan
hogs=$(nproc)
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --suites) suites=$2; shift 2 ;;
    --hogs) hogs=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "test-under-load: unknown argument $1" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a suite_list <<<"$suites"

scripts/install-deps.sh
for suite in "${suite_list[@]}"; do timed "${suite}: build" build_suite "$suite"; done

# The hog: busy shell loops at normal priority, one per core, stopped on any exit.
hog_pids=()
stop_hogs() {
  if [ ${#hog_pids[@]} -gt 0 ]; then kill "${hog_pids[@]}" 2>/dev/null || true; fi
  hog_pids=()
}
trap 'stop_hogs; print_stage_times' EXIT
for _ in $(seq "$hogs"); do
  ( while :; do :; done ) &
  hog_pids+=($!)
done
echo "=== test-under-load: ${#hog_pids[@]} CPU hog(s) running; ${rounds} round(s) of ${suites} ==="

logs=$(mktemp -d)
declare -A failures=()  # "suite: test" -> rounds it failed in
for round in $(seq "$rounds"); do
  for suite in "${suite_list[@]}"; do
    log="$logs/${suite}-${round}.log"
    status=0
    timed "round ${round}: ${suite}" run_suite "$suite" "${extra[@]}" >"$log" 2>&1 || status=$?
    # ctest lists failures as "  123 - Suite.Name (Failed)" (or Timeout, SEGFAULT, ...).
    failed=$(sed -n '/The following tests FAILED:/,$p' "$log" | sed -n 's/^[[:space:]]*[0-9]\+ - \(.*\) (.*)$/\1/p')
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    if [ -z "$failed" ] && [ "$status" -eq 0 ]; then
      echo "round ${round} ${suite}: all passed (load ${load}) [$(grep -o '[0-9]\+% tests passed.*' "$log" || true)]"
      continue
    fi
    if [ -z "$failed" ]; then failed="(ctest exited ${status}: see ${log})"; fi
    echo "round ${round} ${suite}: FAILED (load ${load}); log kept in ${log}"
    while IFS= read -r t; do
      echo "    $t"
      key="${suite}: $t"
      failures[$key]="${failures[$key]:-}${failures[$key]:+,}${round}"
    done <<<"$failed"
  done
done
stop_hogs

echo "=== test-under-load: summary ==="
if [ ${#failures[@]} -eq 0 ]; then
  echo "no test failed in ${rounds} round(s) of ${suites} under ${hogs} CPU hog(s)"
  rm -rf "$logs"
  exit 0
fi
for key in "${!failures[@]}"; do echo "  FAILED in round(s) ${failures[$key]}: $key"; done | sort
echo "logs: $logs"
exit 1
