#!/usr/bin/env bash
# Baseline: tearing the lab down with a shell loop of `ip netns del` (and the cni bridges).
set -euo pipefail
for ns in $(ip netns list | awk '{print $1}'); do
  ip netns del "$ns"
done
for br in $(ip -o link show type bridge | awk -F': ' '$2 ~ /^cni[0-9]+$/ {print $2}'); do
  ip link del "$br"
done
rm -rf /etc/netns/pod-*
