#!/usr/bin/env bash
# The peers bench/run compares Shoal with, from Debian's packages: Celery 5, Dask distributed,
# RQ, Redis (their broker and result store), gevent (Celery's pool for C10K), psutil, and
# matplotlib for the plots. Installs only what is missing.
set -euo pipefail

packages=(python3-celery python3-distributed python3-rq python3-redis python3-gevent python3-psutil
          python3-matplotlib redis-server redis-tools iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing the benchmark's peers: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
