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
echo "== go vet"
go vet ./...
echo "== go test"
# shellcheck disable=SC2086
go test -count=1 -timeout 45m ${PATRONI_TEST_ARGS:-} ./... "$@"
