#!/usr/bin/env bash
# Installs every Debian 12 package Shoal needs to build, test, benchmark and run.
# Idempotent: does nothing when all are present. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-dev libhiredis-dev redis-server
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libcpp-httplib-dev
  nlohmann-json3-dev libexpected-dev libhowardhinnant-date-dev
  python3 python3-zmq python3-msgpack python3-pip python3-venv python3-setuptools  # clients/python
  clang libclang-rt-14-dev clang-format-14 clang-tidy-14
  iproute2 iptables procps
  faketime
  prometheus-cpp-dev prometheus
  dpkg-dev file binutils systemd yamllint python3-yaml
  chromium chromium-driver python3-selenium  # the dashboard's browser test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
