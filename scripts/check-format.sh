#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format makes of it, and names the
# files. Fix with: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
# One version formats one way: pin the one Debian 12 ships, as install-deps.sh installs it.
format=$(command -v clang-format-14 || true)
if [ -z "$format" ]; then
  echo "check-format: clang-format-14 is not installed (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "${1:-}" = "--fix" ]; then
  "$format" -i "${files[@]}"
  exit 0
fi
if "$format" --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
  echo "check-format: ${#files[@]} files follow .clang-format"
  exit 0
fi
unformatted=()
for f in "${files[@]}"; do
  "$format" --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "check-format: ${#unformatted[@]} file(s) do not follow .clang-format:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "run scripts/check-format.sh --fix" >&2
fi
exit 1
