#!/usr/bin/env bash
# Makes sure what the test suite needs from the machine is there: Redis on 127.0.0.1:6379, PostgreSQL
# on 127.0.0.1:5432, and Debian's Chromium. Starts or installs what is missing; says what it did.
# Safe to run again. Used by .ci/run; run it by hand on a fresh machine.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }

if ! port_open 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "ensure-services: starting Redis on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || echo "ensure-services: Redis did not start"
  else
    echo "ensure-services: no Redis on 6379 and no redis-server installed (apt-get install redis-server)"
  fi
fi

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "ensure-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start \
      || echo "ensure-services: PostgreSQL did not start"
  else
    echo "ensure-services: no PostgreSQL on 5432 and none installed (apt-get install postgresql)"
  fi
fi

for _ in $(seq 1 50); do port_open 6379 && port_open 5432 && break; sleep 0.2; done

if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ensure-services: installing Debian's chromium and chromium-driver"
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver >/dev/null 2>&1; } \
      || echo "ensure-services: could not install chromium"
  else
    echo "ensure-services: /usr/bin/chromium is missing (apt-get install chromium chromium-driver)"
  fi
fi
exit 0
