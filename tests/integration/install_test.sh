#!/usr/bin/env bash
# Shoal as a user installs it (issue 15, item 1): `cmake --install` into a temporary prefix,
# then examples/out-of-tree built against that prefix only (find_package(Shoal 0.2)), its own
# worker and the stock shoal-worker loading its task library, both serving its client through
# the installed broker; a client built with pkg-config alone; find_package refusing another
# minor; and Shoal inside another project (add_subdirectory) without its tests.
#
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build="$(cd "$1" && pwd)"
source="$(cd "$2" && pwd)"
# shellcheck source=../support/process/script_steps.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/process/script_steps.sh" install-test

prefix="$work/prefix"
step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in bin/shoal-broker bin/shoal-worker bin/shoal lib/cmake/Shoal/ShoalConfig.cmake \
         lib/cmake/Shoal/ShoalConfigVersion.cmake include/shoal/client/client.hpp \
         include/shoal/common/version.hpp lib/pkgconfig/shoal-client.pc \
         lib/pkgconfig/shoal-worker.pc lib/shoal/libshoal_seed_tasks_plugin.so; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
# Shared libraries with a SONAME that carries the minor (0.x may break the ABI per minor).
version="$("$prefix/bin/shoal-broker" --version | awk '{print $2}')"
minor="${version%.*}"
for lib in common proto client worker broker; do
  so="$prefix/lib/libshoal_$lib.so.$version"
  [ -f "$so" ] || fail "no $so"
  soname="$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
  [ "$soname" = "libshoal_$lib.so.$minor" ] || fail "libshoal_$lib SONAME is '$soname'"
done
# The installed programs run from the prefix alone (RUNPATH $ORIGIN/../lib), not the build.
# Whole outputs first: `cmd | grep -q` closes the pipe early, and pipefail fails the writer.
linked="$(ldd "$prefix/bin/shoal-worker")"
grep -q "$prefix/bin/../lib/libshoal_worker.so" <<<"$linked" ||
  { echo "$linked"; fail "the installed worker does not use the installed libraries"; }

step "examples/out-of-tree against the prefix"
oot="$work/oot"
cmake -S "$source/examples/out-of-tree" -B "$oot" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$work/oot-configure.log" ||
  { cat "$work/oot-configure.log"; fail "configuring the out-of-tree project"; }
cmake --build "$oot" > "$work/oot-build.log" 2>&1 ||
  { cat "$work/oot-build.log"; fail "building the out-of-tree project"; }
# It found Shoal in the prefix, never in the source or build tree.
grep -q "Shoal_DIR:PATH=$prefix/lib/cmake/Shoal" "$oot/CMakeCache.txt" || fail "Shoal_DIR is not the prefix"
if grep -rqs -e "$source/common/include" -e "$build" "$oot/build.ninja"; then
  fail "the out-of-tree build reaches into Shoal's source or build tree"
fi

step "the installed broker, the project's own worker, the stock worker with its library"
start_broker "$prefix/bin/shoal-broker"

# Only word_count on the project's worker, only shout on the stock one: each answer proves
# its path. The project's worker has both compiled in, so it runs first alone for word_count.
start_bg "$work/own-worker.log" "$oot/word_worker" "$endpoint"
own_worker=$last_pid
out="$("$oot/word_client" "$endpoint")" || { cat "$work/own-worker.log"; fail "word_client (own worker)"; }
echo "$out"
grep -qx "word_count = 4" <<<"$out" || fail "word_count from the project's own worker: $out"
grep -qx "shout = HELLO FROM OUTSIDE THE TREE!" <<<"$out" || fail "shout: $out"
grep -qx "shoal $version" <<<"$out" || fail "the client's headers are not Shoal $version: $out"
stop_bg "$own_worker"

start_bg "$work/stock-worker.log" "$prefix/bin/shoal-worker" --broker "$endpoint" \
  --tasks "$oot/libword_plugin.so" --threads 1 --processes 1 --name stock-worker
out="$("$oot/word_client" "$endpoint")" || { cat "$work/stock-worker.log"; fail "word_client (stock worker)"; }
grep -qx "word_count = 4" <<<"$out" || fail "word_count from the stock worker's library: $out"
workers="$("$prefix/bin/shoal" --broker "$endpoint" inspect workers)"
grep -q "name=stock-worker" <<<"$workers" || fail "inspect workers: $workers"
grep -q "version=shoal/$version" <<<"$workers" || fail "the worker's version in inspect: $workers"

step "a client built with pkg-config alone"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -O1 -o "$work/pc_client" "$source/examples/out-of-tree/src/word_client.cpp" \
  -I"$source/examples/out-of-tree/include" $(pkg-config --cflags --libs shoal-client) ||
  fail "compiling with pkg-config shoal-client"
out="$("$work/pc_client" "$endpoint")" || fail "the pkg-config client"
grep -qx "word_count = 4" <<<"$out" || fail "pkg-config client: $out"

step "find_package(Shoal 0.<other minor>) is refused"
other="0.$(( ${minor#0.} + 1 ))"
if cmake -S "$source/examples/out-of-tree" -B "$work/oot-other" -DCMAKE_PREFIX_PATH="$prefix" \
     -DSHOAL_WANTED_VERSION="$other" > "$work/other.log" 2>&1; then
  fail "find_package(Shoal $other) accepted Shoal $version"
fi
grep -q "compatible" "$work/other.log" || { cat "$work/other.log"; fail "no version message"; }

step "Shoal inside another project: no tests, benchmarks or examples"
parent="$work/parent"
mkdir -p "$parent"
cat > "$parent/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(parent LANGUAGES CXX)
add_subdirectory("$source" shoal)
add_executable(app app.cpp)
target_link_libraries(app PRIVATE shoal::client)
EOF
echo 'int main() { return 0; }' > "$parent/app.cpp"
cmake -S "$parent" -B "$parent/build" -G Ninja > "$work/parent.log" 2>&1 ||
  { cat "$work/parent.log"; fail "configuring a parent project"; }
targets="$(ninja -C "$parent/build" -t targets all)"
grep -q "libshoal_client" <<<"$targets" || fail "the parent project has no shoal client library"
if grep -q -e "unit_common_" -e "bench_" -e "seeds_tour" <<<"$targets"; then
  fail "tests, benchmarks or examples are built inside a parent project"
fi
echo "install test: all passed"
