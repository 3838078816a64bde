#!/usr/bin/env bash
# The Debian packages (issue 15, item 2): cpack builds them from the release tree; each is
# checked for what it holds and what it depends on (dpkg-deb), all are unpacked into a
# throwaway root (dpkg -x) where the daemons run from it (--version, a broker serving a
# worker and the CLI), and the systemd units pass `systemd-analyze verify`.
#
#   deb_packages_test.sh BUILD_DIR
set -euo pipefail

build="$(cd "$1" && pwd)"
# shellcheck source=../support/process/script_steps.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/process/script_steps.sh" deb-test

step "cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" > "$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
version="$("$build/broker/shoal-broker" --version | awk '{print $2}')"
minor="${version%.*}"
deb() { ls "$work/debs/$1"_*.deb 2>/dev/null | head -n1; }
for p in "libshoal$minor" shoal-common shoal-broker shoal-worker shoal-cli libshoal-dev; do
  [ -n "$(deb "$p")" ] || { ls "$work/debs"; fail "no package $p"; }
done

# holds PACKAGE PATH...: the package's file list has every PATH.
holds() {
  local package=$1; shift
  local list; list="$(dpkg-deb -c "$(deb "$package")" | awk '{print $6}')"
  for path in "$@"; do
    grep -qx "\./$path" <<<"$list" || { echo "$list"; fail "$package lacks $path"; }
  done
}
# depends PACKAGE TEXT...: its Depends field names each TEXT.
depends() {
  local package=$1; shift
  local field; field="$(dpkg-deb -f "$(deb "$package")" Depends)"
  for text in "$@"; do
    grep -qF "$text" <<<"$field" || fail "$package depends on '$field', not on '$text'"
  done
}

step "contents and dependencies"
holds "libshoal$minor" "usr/lib/libshoal_client.so.$version" "usr/lib/libshoal_client.so.$minor" \
  "usr/lib/libshoal_worker.so.$minor" "usr/lib/libshoal_broker.so.$minor"
depends "libshoal$minor" libzmq5 libstdc++6 libhiredis
holds shoal-common usr/lib/sysusers.d/shoal.conf
# Whole outputs first: `cmd | grep -q` closes the pipe early, and pipefail fails the writer.
control="$(dpkg-deb --ctrl-tarfile "$(deb shoal-common)" | tar -t)"
grep -qx "./postinst" <<<"$control" || fail "shoal-common has no postinst"
holds shoal-broker usr/bin/shoal-broker usr/lib/systemd/system/shoal-broker.service
depends shoal-broker "libshoal$minor (= $version)" "shoal-common (= $version)"
holds shoal-worker usr/bin/shoal-worker "usr/lib/systemd/system/shoal-worker@.service" \
  usr/lib/shoal/libshoal_seed_tasks_plugin.so
depends shoal-worker "libshoal$minor (= $version)" "shoal-common (= $version)"
holds shoal-cli usr/bin/shoal
depends shoal-cli "libshoal$minor (= $version)"
holds libshoal-dev usr/include/shoal/client/client.hpp usr/include/shoal/common/version.hpp \
  usr/lib/cmake/Shoal/ShoalConfig.cmake usr/lib/pkgconfig/shoal-client.pc usr/lib/libshoal_client.so
depends libshoal-dev "libshoal$minor (= $version)" libzmq3-dev
# No package holds what another holds (dpkg would refuse to install both).
for p in "libshoal$minor" shoal-common shoal-broker shoal-worker shoal-cli libshoal-dev; do
  dpkg-deb -c "$(deb "$p")" | awk '$1 !~ /^d/ {print $6}'
done | sort | uniq -d > "$work/shared-files"
[ ! -s "$work/shared-files" ] || { cat "$work/shared-files"; fail "files in two packages"; }

step "unpacked into a throwaway root"
root="$work/root"
for f in "$work"/debs/*.deb; do dpkg -x "$f" "$root"; done
out="$("$root/usr/bin/shoal-broker" --version)"
[ "$out" = "shoal-broker $version" ] || fail "shoal-broker --version said '$out'"
linked="$(ldd "$root/usr/bin/shoal-broker")"
grep -q "$root/usr/bin/../lib/libshoal_broker.so" <<<"$linked" ||
  { echo "$linked"; fail "the unpacked broker does not use the unpacked libraries"; }
start_broker "$root/usr/bin/shoal-broker"
start_bg "$work/worker.log" "$root/usr/bin/shoal-worker" --broker "$endpoint" \
  --tasks "$root/usr/lib/shoal/libshoal_seed_tasks_plugin.so" --threads 1 --processes 1
out="$("$root/usr/bin/shoal" --broker "$endpoint" submit add 20 22 --wait --wait-timeout 60)" ||
  { cat "$work/worker.log"; fail "the unpacked cluster did not run add"; }
[ "$out" = "42" ] || fail "add 20 22 gave '$out'"

step "systemd-analyze verify"
for unit in shoal-broker.service "shoal-worker@.service"; do
  # The units name /usr/bin; here the binaries are in the throwaway root.
  sed "s|/usr/bin/shoal|$root/usr/bin/shoal|g" "$root/usr/lib/systemd/system/$unit" > "$work/$unit"
  systemd-analyze verify "$work/$unit" || fail "systemd-analyze verify $unit"
done
echo "deb test: all passed"
