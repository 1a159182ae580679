#!/usr/bin/env bash
# The steps of scripts/demo.sh (run inside the sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
lab=$1
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "topo validate $lab"
topo validate "$lab"

step "topo plan $lab   (exit 2: changes to make)"
set +e; topo plan "$lab"; rc=$?; set -e
echo "exit status: $rc"

step "topo apply $lab"
topo apply "$lab"

step "topo show $lab"
topo show "$lab"

step "topo graph $lab   (mermaid; --format dot for Graphviz)"
topo graph "$lab"

step "connectivity proof: ping and a TCP connection between two lab namespaces"
mapfile -t pods < <(ip netns list | awk '{print $1}' | sort)
if [ "${#pods[@]}" -ge 2 ]; then
  src=${pods[0]} dst=${pods[-1]}
  dst_ip=$(ip -n "$dst" -4 -j addr show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["addr_info"][0]["local"])')
  topo exec "$src" -- ping -c 2 -W 2 "$dst_ip"
  topo exec "$dst" -- python3 tests/httpd.py 8080 "$dst_ip" & server=$!
  for _ in $(seq 50); do topo exec "$src" -- curl -s -m 1 "http://$dst_ip:8080/" && break; sleep 0.1; done
  kill "$server"
fi

step "topo check $lab   (the lab's declared checks: the lesson, proved)"
topo check "$lab"

step "topo plan $lab   (exit 0: the machine matches the file)"
topo plan "$lab"

step "topo destroy $lab   (how to remove the lab; the machine is left as it was)"
topo destroy "$lab"
ip netns list | grep -q . && { echo "namespaces left behind" >&2; exit 1; }
echo "done: everything the lab made is gone."
