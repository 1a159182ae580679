#!/usr/bin/env bash
# Baseline: the N-pod lab with `ip -batch`: one process for the node, one per namespace.
# Usage: ip-batch.sh N   (run inside a sandbox; bridges cni0.. of 1,000 ports, as bench/labs.py)
set -euo pipefail
n=$1
ports=1000
bridges=$(( n > ports ? (n + ports - 1) / ports : 1 ))
{
  for ((b = 0; b < bridges; b++)); do
    echo "link add cni$b type bridge"
    echo "link set cni$b mtu 1450 up"
    echo "addr add 10.$b.0.1/16 dev cni$b"
  done
  for ((i = 0; i < n; i++)); do
    echo "netns add pod-$i"
    echo "link add veth$i mtu 1450 type veth peer name eth0 mtu 1450 netns pod-$i"
    echo "link set veth$i master cni$((i / ports)) up"
  done
} | ip -batch -
for ((i = 0; i < n; i++)); do
  b=$((i / ports)); a=$((i % ports + 2)); addr="10.$b.$((a / 256)).$((a % 256))"
  printf 'link set lo up\naddr add %s/16 dev eth0\nlink set eth0 up\nroute add default via 10.%s.0.1\n' "$addr" "$b" \
    | ip -n "pod-$i" -batch -
  mkdir -p "/etc/netns/pod-$i"
  printf '127.0.0.1\tlocalhost\n%s\tpod-%s\n' "$addr" "$i" > "/etc/netns/pod-$i/hosts"
done
