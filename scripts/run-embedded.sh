#!/usr/bin/env bash
# Installs Ringback into .venv and runs everything on the embedded defaults in ./var: a
# SQLite database, a Valkey broker of its own on a unix socket, the simulated dialer.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

# var/ holds the database (SIP passwords, webhook secrets) and the logs (phone numbers).
mkdir -p -m 700 var
chmod 700 var
cd var
echo "In another shell, in $(pwd): ../.venv/bin/ringback demo"
# Flower's credentials go by its environment: a command line is readable by every local
# user. `ringback run` warns while the password is the default.
FLOWER_BASIC_AUTH="admin:${FLOWER_PASSWORD:-change-me}" exec ../.venv/bin/ringback run
