#!/usr/bin/env bash
# Run a command in a throwaway machine: fresh network, mount and PID namespaces with private
# /run/netns, /etc/netns, /var/lib/topo and /run/topo (tmpfs), and private copies of
# /etc/hosts and /etc/resolv.conf (the resolver points at the sandbox's own loopback, so
# no name lookup leaves it). Nothing touches the host's network; everything vanishes when
# the command ends.
#
#   scripts/sandbox.sh                     an interactive shell in a sandbox
#   scripts/sandbox.sh CMD [ARGS...]       run CMD in a sandbox
#   scripts/sandbox.sh --hold              print "ready", then wait (the tests enter it with nsenter)
# SANDBOX_HOSTS=FILE seeds the private /etc/hosts (default: a copy of the real one).
set -euo pipefail
if [ "${TOPO_IN_SANDBOX:-}" != "1" ]; then
  # a PID namespace too: whatever runs in the sandbox (processes a lab starts) ends with it
  exec env TOPO_IN_SANDBOX=1 unshare --net --mount --propagation private --pid --fork --kill-child --mount-proc -- "$0" "$@"
fi
mkdir -p /run/netns /etc/netns /var/lib/topo /run/topo
mount --make-rprivate /
for dir in /run/netns /etc/netns /var/lib/topo /run/topo; do
  mount -t tmpfs -o mode=755 topo-sandbox "$dir"
done
cp "${SANDBOX_HOSTS:-/etc/hosts}" /run/topo/hosts
printf '# topo sandbox: no DNS server; lookups fail at once on loopback\nnameserver 127.0.0.1\n' > /run/topo/resolv.conf
mount --bind /run/topo/hosts /etc/hosts
mount --bind /run/topo/resolv.conf /etc/resolv.conf
mount -t tmpfs -o mode=755 topo-sandbox /run/topo  # a clean /run/topo for topo itself (the copies stay mounted)
ip link set lo up
if [ "${1:-}" = "--hold" ]; then
  echo ready
  # PID 1 of the sandbox: reaps whatever ends in it (processes a lab started, once orphaned)
  exec python3 -c 'import os, time
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.2)' 
fi
if [ $# -eq 0 ]; then
  PS1='(topo sandbox) \w# ' exec bash --norc -i
fi
exec "$@"
