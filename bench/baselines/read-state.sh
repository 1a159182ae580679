#!/usr/bin/env bash
# Baseline: reading the lab's state back with ip, as a script checking for drift would.
set -euo pipefail
for ns in $(ip netns list | awk '{print $1}'); do
  ip -n "$ns" -j addr show >/dev/null
  ip -n "$ns" -j route show >/dev/null
done
