#!/usr/bin/env bash
# Baseline: the N-pod lab with `ip -batch`: one process for the node, one per namespace.
# Usage: ip-batch.sh N   (run inside a sandbox)
set -euo pipefail
n=$1
{
  echo "link add cni0 type bridge"
  echo "link set cni0 mtu 1450 up"
  echo "addr add 10.0.0.1/16 dev cni0"
  for ((i = 0; i < n; i++)); do
    echo "netns add pod-$i"
    echo "link add veth$i mtu 1450 type veth peer name eth0 mtu 1450 netns pod-$i"
    echo "link set veth$i master cni0 up"
  done
} | ip -batch -
for ((i = 0; i < n; i++)); do
  a=$((i + 2)); addr="10.0.$((a / 256)).$((a % 256))"
  printf 'link set lo up\naddr add %s/16 dev eth0\nlink set eth0 up\nroute add default via 10.0.0.1\n' "$addr" \
    | ip -n "pod-$i" -batch -
  mkdir -p "/etc/netns/pod-$i"
  printf '127.0.0.1\tlocalhost\n%s\tpod-%s\n' "$addr" "$i" > "/etc/netns/pod-$i/hosts"
done
