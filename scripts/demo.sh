#!/usr/bin/env bash
# The main command from README.md: installs what it needs, builds, and runs the tour of the
# seeds' examples on Shoal's runtime. Extra arguments go to the program (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# Its own build tree, so that the test and benchmark scripts' options never clash with it.
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_EXAMPLES=ON \
  -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_BENCH=OFF >/dev/null
cmake --build build/demo --target seeds_tour >/dev/null
exec build/demo/examples/seeds_tour "$@"
