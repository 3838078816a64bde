#!/usr/bin/env bash
# The test command from README.md: installs what it needs, builds warning-free, and runs
# every test three times: plain, under ASan+UBSan, and the concurrent parts under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
# ccache hits whatever folder the clone is in (CI clones afresh each time).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
run_config() {
  local name=$1; shift
  echo "=== ${name}: configure and build ==="
  cmake -S . -B "build/${name}" -G Ninja -DSHOAL_WERROR=ON "$@" >/dev/null
  cmake --build "build/${name}" -j "${jobs}"
  echo "=== ${name}: tests ==="
}

run_config test-release -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/test-release --output-on-failure -j "${jobs}" --timeout 300

run_config test-asan -DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=address -DSHOAL_BUILD_BENCH=OFF
ctest --test-dir build/test-asan --output-on-failure -j "${jobs}" --timeout 600

# TSan covers the tests labelled 'concurrent' (threads, cross-thread wake-ups, pools).
run_config test-tsan -DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=thread -DSHOAL_BUILD_BENCH=OFF -DSHOAL_BUILD_EXAMPLES=OFF
ctest --test-dir build/test-tsan --output-on-failure -j "${jobs}" --timeout 600 -L concurrent

# libFuzzer targets for every decoder (tests/fuzz/README.md): replay the seed corpus, fuzz 20 s each.
tests/fuzz/run.sh 20
