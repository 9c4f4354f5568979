#!/usr/bin/env bash
# Installs what the tests need into .venv and runs them: lint, types, unit and integration
# tests against the real PostgreSQL and Redis on 127.0.0.1 (started here if they are down).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The SIP test peers (sipp, kamailio) that tests/integration/test_sip_peers.py drives.
bash scripts/install-sip-peers.sh

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 0.2
done

# compose.yaml is validated by `docker compose config`; where the plugin is missing, by
# Debian's docker-compose (no engine runs here either way).
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose
fi

.venv/bin/ruff check .
.venv/bin/mypy
# The slowest fault tests are marked `slow`; .ci/run runs them after this.
.venv/bin/pytest -m "not slow" "$@"
