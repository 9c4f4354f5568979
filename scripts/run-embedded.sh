#!/usr/bin/env bash
# Installs Ringback into .venv and runs worker and beat on the embedded defaults: a SQLite
# database and Celery's SQLAlchemy transport on SQLite in ./var, the simulated dialer.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

mkdir -p var
cd var
../.venv/bin/ringback migrate
echo "worker and beat starting; add work from another shell in $(pwd):"
echo "  ../.venv/bin/ringback create-scheduler --client 1 --name demo"
echo "  echo '{\"tasks\": [{\"a_number\": \"+15550000001\", \"b_number\": \"+15550000002\"}]}' \\"
echo "    | ../.venv/bin/ringback add-tasks --client 1 --scheduler 1 -"
exec ../.venv/bin/celery -A worker worker --beat --loglevel INFO --concurrency 2 \
  --schedule ./celerybeat-schedule
