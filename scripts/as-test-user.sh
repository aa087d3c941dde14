#!/usr/bin/env bash
# Runs a command from the repository root as the unprivileged test user, with its own Go
# caches. When the user cannot read the checkout (a clone under /root), a copy is used.
set -euo pipefail

TEST_USER=${PATRONI_TEST_USER:-pgtest}
repo=$(cd "$(dirname "$0")/.." && pwd)
home=$(getent passwd "$TEST_USER" | cut -d: -f6)

workdir=$repo
if ! runuser -u "$TEST_USER" -- test -r "$repo/go.mod" -a -x "$repo"; then
  workdir=/tmp/patroni-src-$TEST_USER
  mkdir -p "$workdir"
  rsync -a --delete --exclude .git "$repo/" "$workdir/"
  chown -R "$TEST_USER:" "$workdir"
fi

exec runuser -u "$TEST_USER" -- env -i \
  HOME="$home" USER="$TEST_USER" LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
  PATH="/usr/local/go/bin:/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
  GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" \
  PATRONI_TEST_ARGS="${PATRONI_TEST_ARGS:-}" \
  bash -c 'cd "$0" && exec "$@"' "$workdir" "$@"
