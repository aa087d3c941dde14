#!/usr/bin/env bash
# Runs Patroni's own acceptance suite (behave features) against our binaries on etcd v3.
#
#   scripts/acceptance.sh PATRONI_CHECKOUT [behave args...]
#   e.g. scripts/as-test-user.sh scripts/acceptance.sh /tmp/patroni414 features/recovery.feature
#
# PATRONI_CHECKOUT is a Patroni source tree (tested with v4.1.4); it is only read. The script
# copies it to a work directory, builds bin/patroni and bin/patronictl, and replaces patroni.py
# and patronictl.py in the copy with stubs that exec our binaries (the harness signals the PID it
# started, so the PID must stay the same). Run as an unprivileged user: PostgreSQL refuses root.
#
# Environment:
#   ACCEPTANCE_WORKDIR  work copy (default /tmp/pacc-$USER); features/output/ holds the logs
#   ACCEPTANCE_TIMEOUT  seconds before behave and everything it started is killed (default 3600)
#   ACCEPTANCE_TLS      1 (default): let the harness use HTTPS with client certificates and
#                       PostgreSQL SSL when openssl is installed, like real Patroni's run;
#                       0: hide openssl from the harness so everything is plain HTTP/TCP
set -euo pipefail

if [[ $# -lt 1 || ! -f ${1:-}/features/environment.py ]]; then
  echo "usage: $0 PATRONI_CHECKOUT [behave args...]  (a Patroni source tree with features/)" >&2
  exit 2
fi
if [[ $(id -u) == 0 ]]; then
  echo "$0: run as an unprivileged user (scripts/as-test-user.sh $0 ...): PostgreSQL refuses root" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${ACCEPTANCE_WORKDIR:-/tmp/pacc-$(id -un)}
timeout_s=${ACCEPTANCE_TIMEOUT:-3600}
python=/usr/bin/python3 # Debian's, with behave, psycopg2 and the rest (FACTS.md)

# The harness uses these ports; a foreign etcd on 2379 would be used and wiped by it.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 2379 8008 8009 8010 8011 8012; do
  if port_busy "$port"; then
    echo "$0: port $port is already in use; the harness needs it free" >&2
    exit 1
  fi
done

echo "== building our binaries"
mkdir -p "$work/go-bin"
(cd "$repo" && go build -o "$work/go-bin/" ./cmd/patroni ./cmd/patronictl)

echo "== preparing $work from $src"
rsync -a --delete --exclude /features/output --exclude /data --exclude /go-bin \
  --exclude /tmp --exclude /coverage --exclude __pycache__ "$src/" "$work/"
rm -rf "$work/data" "$work/tmp"
mkdir -p "$work/tmp"

# patroni.py and patronictl.py become stubs that exec our binaries in place (same PID).
for tool in patroni patronictl; do
  cat >"$work/$tool.py" <<EOF
#!$python
# Replaced by patroni-go's scripts/acceptance.sh: runs our Go binary in this process.
import os
import sys

binary = '$work/go-bin/$tool'
os.execv(binary, [binary] + sys.argv[1:])
EOF
  chmod +x "$work/$tool.py"
done

# The harness runs "python -m coverage run --source=patroni -p SCRIPT ARGS" and, at the end,
# "coverage combine/report". A local stub module runs the script in the same process and
# ignores the rest, so the real coverage package is not needed (and would measure nothing).
mkdir -p "$work/coverage"
: >"$work/coverage/__init__.py"
cat >"$work/coverage/__main__.py" <<'EOF'
# Stub written by patroni-go's scripts/acceptance.sh.
import runpy
import sys

args = sys.argv[1:]
if args and args[0] == 'run':
    args = args[1:]
    while args and args[0].startswith('-'):
        args = args[1:]
    sys.argv = args
    runpy.run_path(args[0], run_name='__main__')
EOF

shim=$work/shim
mkdir -p "$shim"
rm -f "$shim/openssl"
if [[ ${ACCEPTANCE_TLS:-1} == 0 ]]; then
  printf '#!/bin/sh\nexit 1\n' >"$shim/openssl" # the harness then skips certificates
  chmod +x "$shim/openssl"
fi

export PATH="$shim:/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin"
export TMPDIR=$work/tmp # unix sockets and pgpass files live here: keep it short
export DCS=etcd3 PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8
unset PYTHONPATH PATRONICTL_CONFIG_FILE

echo "== behave $* (timeout ${timeout_s}s, logs in $work/features/output)"
cd "$work"
# A new session holds behave and everything it starts (etcd, our daemons, PostgreSQL: they
# only change process group), so whatever survives a timeout or a crash is found by session id.
set +e
setsid timeout -k 30 "$timeout_s" "$python" -m behave "$@" &
sid=$!
wait "$sid"
rc=$?
set -e

leftovers() {
  local f pid rest
  for f in /proc/[0-9]*/stat; do
    read -r pid rest <"$f" 2>/dev/null || continue
    rest=${rest##*) }           # fields after "(comm) "
    set -- $rest                # state ppid pgrp session ...
    [[ ${4:-} == "$sid" ]] && echo "$pid"
  done
  return 0
}
left=$(leftovers)
if [[ -n $left ]]; then
  echo "== stopping processes left by the run: $left" >&2
  kill -TERM $left 2>/dev/null || true
  for _ in $(seq 20); do
    left=$(leftovers)
    [[ -z $left ]] && break
    sleep 0.5
  done
  [[ -n $left ]] && kill -KILL $left 2>/dev/null || true
fi
[[ $rc == 124 || $rc == 137 ]] && echo "== behave timed out after ${timeout_s}s" >&2
exit "$rc"
