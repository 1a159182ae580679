#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite. Kernel tests run inside private
# network + mount namespaces (tests/sandbox.py); nothing touches the host's network.
# Most tests wait (on processes, the kernel, SSH) rather than compute, and each has a sandbox
# of its own, so they run on TOPO_TEST_WORKERS pytest-xdist workers (default 3), a whole file
# at a time on one worker (tests/conftest.py says in which order). TOPO_TEST_WORKERS=0 runs
# them in this one process, as plain `pytest` does.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/as-root.sh
TOPO_PRIME_IN_BACKGROUND=1 bash scripts/setup.sh  # ansible-test's environments beside the first tests
workers=${TOPO_TEST_WORKERS:-3}
if [ "$workers" = 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
