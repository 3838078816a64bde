# Sourced by scripts/test.sh and scripts/test-under-load.sh: how each test suite is configured,
# built and run, so that a suite means the same thing in both. Call from the repository root.

jobs=$(nproc)
# ccache hits whatever folder the clone is in (CI clones afresh each time).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

# The cmake options and ctest arguments of each suite: release, asan (ASan+UBSan), tsan (the
# tests labelled 'concurrent': threads, cross-thread wake-ups, pools).
suite_cmake_options() {
  case $1 in
    release) echo "-DCMAKE_BUILD_TYPE=RelWithDebInfo" ;;
    asan) echo "-DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=address -DSHOAL_BUILD_BENCH=OFF" ;;
    tsan) echo "-DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=thread -DSHOAL_BUILD_BENCH=OFF -DSHOAL_BUILD_EXAMPLES=OFF" ;;
    *) echo "unknown suite $1" >&2; return 2 ;;
  esac
}
suite_ctest_args() {
  case $1 in
    release) echo "--timeout 300" ;;
    # The release tree's install is what ships; the browser test drives the release binaries.
    asan) echo "--timeout 600 -LE packaging|browser" ;;
    tsan) echo "--timeout 600 -L concurrent" ;;
  esac
}

# build_suite NAME: configures and builds build/test-NAME, warnings as errors.
build_suite() {
  local name=$1
  echo "=== ${name}: configure and build ==="
  # shellcheck disable=SC2046  # the options are words on purpose
  cmake -S . -B "build/test-${name}" -G Ninja -DSHOAL_WERROR=ON $(suite_cmake_options "$name") >/dev/null || return
  cmake --build "build/test-${name}" -j "${jobs}"
}

# run_suite NAME [ctest args...]: runs the suite's tests; ctest's exit status.
run_suite() {
  local name=$1; shift
  echo "=== ${name}: tests ==="
  # libzmq's own leaks on a torn handshake (scripts/lsan.supp says which and why).
  local lsan="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
  # shellcheck disable=SC2046
  LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}$lsan" \
    ctest --test-dir "build/test-${name}" --output-on-failure -j "${jobs}" $(suite_ctest_args "$name") "$@"
}

# timed LABEL COMMAND...: runs the command and prints its wall time, so that every run shows
# where CI's minutes go. (The command runs in an || list, where set -e does not act: commands
# given here return their failures themselves.)
stage_times=()
timed() {
  local label=$1; shift
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start))
  stage_times+=("$(printf '%-28s %4d:%02d' "$label" $((took / 60)) $((took % 60)))")
  echo "=== ${label}: $((took / 60)) min $((took % 60)) s ==="
  return $status
}
print_stage_times() {
  echo "=== wall time per stage ==="
  local line
  for line in "${stage_times[@]}"; do echo "  $line"; done
  echo "  $(printf '%-28s %4d:%02d' total $((SECONDS / 60)) $((SECONDS % 60)))"
}
