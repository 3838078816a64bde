#!/usr/bin/env bash
# clients/python installs offline into a virtual environment, as clients/python/README.md says
# (Debian's pip, setuptools and venv; the venv sees Debian's python3-zmq and python3-msgpack),
# and what it installs is the package, its worker entry point and `python -m shoal.worker`.
#   python_package_test.sh SOURCE_DIR
set -euo pipefail
source_dir="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A copy: setuptools writes build/ and *.egg-info beside the sources it builds.
cp -r "$source_dir/clients/python" "$work/src"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$work/src"
cd "$work"  # not the source tree: the import must find the installed package
version="$("$work/venv/bin/python" -c 'import shoal, os; print(shoal.__version__, os.path.dirname(shoal.__file__))')"
echo "installed: $version"
[[ "$version" == "0.2.0 $work/venv/lib/"*"/site-packages/shoal" ]]
# Whole outputs first: `cmd | grep -q` closes the pipe early, and pipefail fails the writer.
help="$("$work/venv/bin/shoal-python-worker" --help)"
grep -q -- "--broker" <<<"$help"
help="$("$work/venv/bin/python" -m shoal.worker --help)"
grep -q -- "--grace" <<<"$help"
shown="$("$work/venv/bin/pip" show shoal)"
grep -q "^Requires: msgpack, pyzmq" <<<"$shown"
echo "PASS: clients/python installs offline and runs from the venv"
