#!/bin/sh
# Load-test the REST API health checks with wrk (16 connections, 2 threads) against
# bench/api/server, a server over a fixed fake snapshot on loopback.
#   bench/api/wrk.sh [duration, default 10s]
set -eu
cd "$(dirname "$0")/../.."
DURATION=${1:-10s}
PORT=${PORT:-18008}
BIN=$(mktemp -d)/apiserver
go build -o "$BIN" ./bench/api/server
# On a small machine the load generator and the server fight for the same cores and the
# tail latency measures that fight; give each its own core when we can.
SERVER_CPU= WRK_CPU= THREADS=2
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	SERVER_CPU="taskset -c 1" WRK_CPU="taskset -c 0" THREADS=1
fi
$SERVER_CPU "$BIN" -listen "127.0.0.1:$PORT" >/dev/null &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$(dirname "$BIN")"' EXIT INT TERM
for _ in 1 2 3 4 5 6 7 8 9 10; do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/liveness" 2>/dev/null && break
	sleep 0.2
done
for path in /primary /replica; do
	echo "== GET $path (keep-alive, 16 connections)"
	$WRK_CPU wrk -t$THREADS -c16 -d"$DURATION" --latency "http://127.0.0.1:$PORT$path" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
done
