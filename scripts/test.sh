#!/usr/bin/env bash
# The project's test command (README, .ci/run). As root it first installs the prerequisites
# and then re-runs itself as an unprivileged user, because PostgreSQL refuses to run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  scripts/setup.sh
  exec scripts/as-test-user.sh scripts/test.sh "$@"
fi

export GOFLAGS=${GOFLAGS:--buildvcs=false}

# Consul has no Debian package: build the real agent once (minutes when cold) for the
# Consul tests, unless PATRONI_TEST_CONSUL_BIN names one. Without it they skip, except
# under CI, where they fail.
echo "== consul"
if [ -n "${PATRONI_TEST_CONSUL_BIN:-}" ]; then
  echo "test: using $PATRONI_TEST_CONSUL_BIN"
elif consul_bin=$(scripts/build-consul.sh); then
  export PATRONI_TEST_CONSUL_BIN=$consul_bin
elif [ -n "${CI:-}" ]; then
  echo "test: building Consul failed (see above)" >&2
  exit 1
else
  echo "test: building Consul failed; the Consul tests will be skipped" >&2
fi

echo "== go vet"
go vet ./...
echo "== go test"
# shellcheck disable=SC2086
go test -count=1 -timeout 45m ${PATRONI_TEST_ARGS:-} ./... "$@"
