#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine.
# Run as root; a developer who already has the prerequisites never needs it.
set -euo pipefail

TEST_USER=${PATRONI_TEST_USER:-pgtest}

packages=(
  postgresql-15            # server binaries (already on the machine image, kept for fresh hosts)
  etcd-server etcd-client  # a separate etcd for interop tests next to the embedded one
  zookeeper                # real ZooKeeper for the zookeeper backend contract suite
  default-jre-headless
  patroni                  # real Patroni 3.0.2 for compatibility tests
  haproxy wrk              # load-balancer interop and REST benchmarks
  python3-behave python3-psycopg2 python3-yaml python3-psutil python3-urllib3
  python3-dateutil python3-click python3-prettytable python3-etcd python3-kazoo
  python3-consul python3-cdiff
  rsync procps iproute2
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts these services on install; our tests start their own on loopback ports.
for svc in patroni etcd zookeeper haproxy; do
  systemctl disable --now "$svc" >/dev/null 2>&1 || true
done

# PostgreSQL refuses to run as root: tests run as this unprivileged user.
if ! id "$TEST_USER" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$TEST_USER"
fi
