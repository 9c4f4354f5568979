#!/usr/bin/env bash
# Installs Ringback into .venv and runs everything on the embedded defaults in ./var: a
# SQLite database, a Valkey broker of its own on a unix socket, the simulated dialer.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

mkdir -p var
cd var
echo "In another shell, in $(pwd): ../.venv/bin/ringback demo"
exec ../.venv/bin/ringback run --flower-auth "admin:${FLOWER_PASSWORD:-change-me}"
