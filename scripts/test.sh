#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite. Kernel tests run inside private
# network + mount namespaces (tests/sandbox.py); nothing touches the host's network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
