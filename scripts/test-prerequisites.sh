#!/usr/bin/env bash
# Runs before `npm test`: makes sure the machine has what the test suite needs, installing it
# when it can (as root, from Debian's packages) and saying exactly what is missing when not.
#  - Chromium at /usr/bin/chromium, for the browser tests (never a downloaded browser build).
#  - Python's authlib from Debian (python3-authlib), a relying party in the interop tests.
#  - A Redis that answers at REDIS_URL (default redis://127.0.0.1:6379), for the Redis store tests.
set -euo pipefail

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  if can_install; then
    echo "test prerequisites: installing Chromium from Debian's packages"
    apt_install chromium
  else
    echo "test prerequisites: Chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

if ! /usr/bin/python3 -c 'import authlib, requests' >/dev/null 2>&1; then
  if can_install; then
    echo "test prerequisites: installing python3-authlib from Debian's packages"
    apt_install python3-authlib python3-requests
  else
    echo "test prerequisites: Python's authlib is missing; install it with: sudo apt-get install -y python3-authlib python3-requests" >&2
    exit 1
  fi
fi

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${redis_url#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

redis_answers() {
  # A bare PING over bash's /dev/tcp: no client tools needed.
  (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null
}

if ! redis_answers; then
  case "$host" in
    127.0.0.1|localhost|::1) ;;
    *) echo "test prerequisites: no Redis answers at $redis_url" >&2; exit 1 ;;
  esac
  if ! command -v redis-server >/dev/null 2>&1; then
    if can_install; then
      echo "test prerequisites: installing redis-server from Debian's packages"
      apt_install redis-server
    else
      echo "test prerequisites: no Redis at $redis_url and redis-server is not installed (sudo apt-get install -y redis-server)" >&2
      exit 1
    fi
  fi
  echo "test prerequisites: starting redis-server on port $port"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  dir=/var/lib/redis; [ -w "$dir" ] || dir="$(mktemp -d)"
  log=/var/log/redis/ci.log; [ -w "$(dirname "$log")" ] || log="$dir/redis.log"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no --dir "$dir" --logfile "$log"
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "test prerequisites: redis-server did not start (see $log)" >&2; exit 1; }
fi
