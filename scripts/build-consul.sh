#!/usr/bin/env bash
# Builds the Consul v1.14.11 agent (the last MPL-2.0 release; Debian has no package) from the
# wrapper module in tools/consul, once, into a per-user cache. Prints the binary's path on stdout;
# progress goes to stderr. Reuses a binary built from the same tools/consul sources.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/tools/consul
out=${XDG_CACHE_HOME:-$HOME/.cache}/patroni-go/consul-1.14.11 # where internal/testenv looks
stamp=$out.sources

# The stamp records which sources built the binary, so an edited go.mod triggers a rebuild.
want=$(cd "$src" && cat go.mod go.sum main.go | sha256sum | cut -d' ' -f1)
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9 # a concurrent run builds once; the other waits and then finds the binary
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$out"
  exit 0
fi

echo "build-consul: building Consul 1.14.11 into $out (a cold build takes several minutes)" >&2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
(cd "$src" && GOWORK=off go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$tmp" .)
"$tmp" version >/dev/null
mv -f "$tmp" "$out"
echo "$want" >"$stamp"
echo "$out"
