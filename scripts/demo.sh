#!/usr/bin/env bash
# The main job, end to end, on an example lab: set up, then validate, plan, apply, show,
# graph, prove connectivity, plan again (no changes) and destroy. It runs inside a
# throwaway sandbox (scripts/sandbox.sh), so trying it never changes this machine's network;
# DEMO_HERE=1 runs it on the machine itself.
#   sudo bash scripts/demo.sh [LAB.yaml]      (default: topologies/05-flannel-cni0.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lab=${1:-topologies/05-flannel-cni0.yaml}
if [ "${DEMO_HERE:-}" = "1" ]; then
  exec bash scripts/demo-steps.sh "$lab"
fi
exec scripts/sandbox.sh bash scripts/demo-steps.sh "$lab"
