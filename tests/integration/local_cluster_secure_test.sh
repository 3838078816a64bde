#!/usr/bin/env bash
# deploy/local-cluster.sh --secure (SECURITY.md): the keyed cluster it starts runs a task for
# the client key it hands to `run`, and serves nothing to a client without keys.
# Usage: local_cluster_secure_test.sh BUILD_DIR
set -euo pipefail
bin=$1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cli="$bin/client/shoal"
# shellcheck disable=SC2016  # expanded by the inner shell
out=$("$root/deploy/local-cluster.sh" --bin "$bin" --workers 2 --threads 1 --processes 1 --secure \
  run sh -c '
    "$0" submit add 2 3 --wait --wait-timeout 60 || exit 1
    if env -u SHOAL_KEY -u SHOAL_BROKER_KEY "$0" status --timeout 2 >/dev/null 2>&1; then
      echo "a client without keys was served"
      exit 1
    fi' "$cli")
if [[ "$out" != "5" ]]; then
  echo "local_cluster_secure_test: expected 5, got: $out" >&2
  exit 1
fi
echo "local_cluster_secure_test: a keyed cluster served its client key and refused plaintext"
