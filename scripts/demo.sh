#!/usr/bin/env bash
# The main command from README.md: installs what it needs, builds, and runs the tour of the
# seeds' examples on Shoal's runtime. Extra arguments go to the program (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_WERROR=ON >/dev/null
cmake --build build/release --target seeds_tour >/dev/null
exec build/release/examples/seeds_tour "$@"
