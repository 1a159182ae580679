#!/usr/bin/env bash
# Baseline: tearing the lab down with a shell loop of `ip netns del` (and the bridge).
set -euo pipefail
for ns in $(ip netns list | awk '{print $1}'); do
  ip netns del "$ns"
done
ip link del cni0 2>/dev/null || true
rm -rf /etc/netns/pod-*
