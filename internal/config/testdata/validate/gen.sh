#!/bin/sh
# Regenerates the *.out files with real Patroni 4.1.4 (the oracle):
#   PATRONI_SRC=/path/to/patroni-v4.1.4 ./gen.sh
# Addresses in the cases point at closed loopback ports, so the oracle's real
# network checks agree with the test's "nothing listens" dialer.
set -e
cd "$(dirname "$0")"
dir=$(mktemp -d /tmp/pv.XXXXXX)
sh fixture.sh "$dir"
for f in *.yml; do
  sed "s#@DIR@#$dir#g" "$f" > "$dir/case.yml"
  (cd /tmp && PYTHONPATH=$PATRONI_SRC /usr/bin/python3 -m patroni --validate-config "$dir/case.yml" 2>&1 || true) \
    | sed "s#$dir#@DIR@#g" > "${f%.yml}.out"
done
rm -rf "$dir"
