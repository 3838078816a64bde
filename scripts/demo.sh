#!/usr/bin/env bash
# The main command from README.md: installs what it needs, builds, starts a local cluster (a
# broker and two workers on loopback, embedded defaults, no Redis), runs the cluster tour
# against it (submit, gather, as_completed, wait, callbacks, errors, co_await, map, and a
# batch of 10,000 tasks with a progress bar) and the Python tour (examples/python/tour.py: the
# Python client, then a Python worker in the same cluster), then stops everything.
#
#   scripts/demo.sh                 the cluster tour
#   scripts/demo.sh --batch N       ... with a batch of N tasks
#   scripts/demo.sh --seeds [ARGS]  the seeds' examples on the local runtime instead
#                                   (ARGS: --quick, --real-time)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# Its own build tree, so that the test and benchmark scripts' options never clash with it.
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_EXAMPLES=ON \
  -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_BENCH=OFF >/dev/null

if [[ "${1:-}" == --seeds ]]; then
  shift
  cmake --build build/demo --target seeds_tour >/dev/null
  exec build/demo/examples/seeds_tour "$@"
fi

cmake --build build/demo --target shoal-broker shoal-worker shoal shoal_seed_tasks_plugin \
  cluster_tour >/dev/null
exec deploy/local-cluster.sh --bin build/demo --workers 2 run /bin/sh -c \
  'build/demo/examples/cluster/cluster_tour "$@" && /usr/bin/python3 examples/python/tour.py' \
  cluster_tour "$@"
