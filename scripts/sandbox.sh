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
# SANDBOX_OVERLAY=1 also puts /etc, /var, /run and /tmp under private overlays (nothing written
# there reaches the machine; the hostile-input tests list them before and after).
set -euo pipefail
if [ "${TOPO_IN_SANDBOX:-}" != "1" ]; then
  # a PID namespace too: whatever runs in the sandbox (processes a lab starts) ends with it
  exec env TOPO_IN_SANDBOX=1 unshare --net --mount --propagation private --pid --fork --kill-child --mount-proc -- "$0" "$@"
fi
mount --make-rprivate /
if [ "${SANDBOX_OVERLAY:-}" = "1" ]; then
  # the hostile-input tests: /etc, /var, /run and /tmp as overlays on a private tmpfs, so that
  # whatever a command writes there stays in the sandbox and can be listed (the lower
  # directories are read as they were when the sandbox started)
  mount -t tmpfs -o mode=700 topo-overlay /dev/shm  # the sandbox's own /dev/shm holds the upper layers
  for dir in /etc /var /run /tmp; do
    name=${dir#/}
    mkdir -p "/dev/shm/overlay/$name/upper" "/dev/shm/overlay/$name/work"
    mount -t overlay -o "lowerdir=$dir,upperdir=/dev/shm/overlay/$name/upper,workdir=/dev/shm/overlay/$name/work" "topo-overlay-$name" "$dir"
  done
fi
mkdir -p /run/netns /etc/netns /var/lib/topo /run/topo
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
