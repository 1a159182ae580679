#!/usr/bin/env bash
# Baseline: the N-pod lab built with one `ip` command per step (what a hand-written script does).
# Usage: ip-per-step.sh N   (run inside a sandbox; the bridges cni0.. of 1,000 ports, as
# bench/labs.py, are created here)
set -euo pipefail
n=$1
ports=1000
bridges=$(( n > ports ? (n + ports - 1) / ports : 1 ))
for ((b = 0; b < bridges; b++)); do
  ip link add "cni$b" type bridge
  ip link set "cni$b" mtu 1450 up
  ip addr add "10.$b.0.1/16" dev "cni$b"
done
for ((i = 0; i < n; i++)); do
  b=$((i / ports)); a=$((i % ports + 2)); addr="10.$b.$((a / 256)).$((a % 256))"
  ip netns add "pod-$i"
  ip link add "veth$i" mtu 1450 type veth peer name eth0 mtu 1450 netns "pod-$i"
  ip link set "veth$i" master "cni$b" up
  ip -n "pod-$i" link set lo up
  ip -n "pod-$i" addr add "$addr/16" dev eth0
  ip -n "pod-$i" link set eth0 up
  ip -n "pod-$i" route add default via "10.$b.0.1"
  mkdir -p "/etc/netns/pod-$i"
  printf '127.0.0.1\tlocalhost\n%s\tpod-%s\n' "$addr" "$i" > "/etc/netns/pod-$i/hosts"
done
