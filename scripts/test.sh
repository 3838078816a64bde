#!/usr/bin/env bash
# The test command from README.md: installs what it needs, builds warning-free, and runs
# every test three times: plain, under ASan+UBSan, and the concurrent parts under TSan; then
# the fuzzers; checks formatting and clang-tidy on the way. Prints each stage's wall time
# (CI's limit is 90 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/suites.sh
trap print_stage_times EXIT

timed "install dependencies" scripts/install-deps.sh
# Every C++ file as .clang-format writes it (scripts/check-format.sh --fix formats them).
timed "format" scripts/check-format.sh
for suite in release asan tsan; do
  timed "${suite}: build" build_suite "$suite"
  timed "${suite}: tests" run_suite "$suite"
  # clang-tidy (.clang-tidy's checks) over the library, daemon and CLI code, with the release
  # build's compile commands; files unchanged since a clean run are skipped (scripts/lint.py).
  if [ "$suite" = release ]; then timed "lint" python3 scripts/lint.py build/test-release; fi
done
# libFuzzer targets for every decoder (tests/fuzz/README.md): replay the seed corpus, fuzz 20 s each.
timed "fuzz" tests/fuzz/run.sh 20
