#!/usr/bin/env bash
# The main job, end to end, on an example lab: set up, then validate, plan, apply, show,
# graph, prove connectivity, plan again (no changes) and destroy. It runs inside a
# throwaway sandbox (scripts/sandbox.sh), so trying it never changes this machine's network;
# DEMO_HERE=1 runs it on the machine itself.
#   bash scripts/demo.sh [LAB.yaml]      (default: topologies/05-flannel-cni0.yaml)
# as root, or as a user with sudo (it asks for it); its setup installs only what topo needs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/as-root.sh
bash scripts/setup.sh --demo
lab=${1:-topologies/05-flannel-cni0.yaml}
if [ "${DEMO_HERE:-}" = "1" ]; then
  exec bash scripts/demo-steps.sh "$lab"
fi
exec scripts/sandbox.sh bash scripts/demo-steps.sh "$lab"
