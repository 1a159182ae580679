"""Hosts entries: each namespace's hosts file is the lab's (a namespace without entries has
none: it sees the node's /etc/hosts); of the node's /etc/hosts only the lab's marked block is."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import HostsKey
from ...core.plan import Change, Unmanaged
from ...hostsfile import parse_entries, render_block_body, render_netns_hosts
from .ops import REMOVE_HOSTS, WRITE_HOSTS, HostsSpec


def entries(n: int) -> str:
    return "localhost lines only" if n == 0 else f"{n} entr{'y' if n == 1 else 'ies'}"


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    scope = ctx.scope(effects)
    for name, ns in sorted(ctx.node.namespaces.items()):
        if name not in scope:
            continue
        live = ctx.live_ns(name, effects)
        if effects.foreign_namespace(name) and live is not None:
            # another tool's namespace: its entries count, not topo's header and layout
            if (parse_entries(live.hosts)[0] if live.hosts is not None else {}) == ns.hosts:
                continue
        if not ns.hosts:
            # no entries: no file, so `ip netns exec` sees the node's /etc/hosts (one topo
            # wrote before, with localhost lines only, goes)
            if live is not None and live.hosts is not None:
                out.add(REMOVE_HOSTS, Change.DELETE, name, f"hosts file /etc/netns/{name}/hosts", HostsSpec(None),
                        before="present" if effects.foreign_namespace(name) else entries(0), key=HostsKey(name))
            continue
        want = render_netns_hosts(ctx.topo.name, ns.hosts)
        if live is None or live.hosts != want:
            out.add(WRITE_HOSTS, Change.CREATE if live is None or live.hosts is None else Change.UPDATE, name,
                    f"hosts file /etc/netns/{name}/hosts", HostsSpec(want),
                    before=None if live is None or live.hosts is None else "edited", after=entries(len(ns.hosts)),
                    key=HostsKey(name))
    root, live_root = ctx.node.root, ctx.live.root
    for name, addrs in root.hosts.items():
        first = ctx.live.node_hosts.get(name)
        if first is not None and first[0] != addrs[0]:
            # the C library answers with the first line that has the name: not the lab's
            out.conflict(None, f"/etc/hosts entry {name}", f"/etc/hosts already says {name} is {first[0]} (a line that is "
                         f"not lab {ctx.topo.name}'s): {name} would not resolve to {addrs[0]} as the file declares",
                         "remove or change that line of /etc/hosts, or give the entry another name")
    body = render_block_body(root.hosts) if root.hosts else None
    if live_root.hosts is None and body is not None and all(
            ctx.live.node_hosts.get(name) == addrs for name, addrs in root.hosts.items()):
        # every entry is in /etc/hosts already (the user's lines, another lab's block): leave it
        out.unmanaged.append(Unmanaged(None, f"/etc/hosts entries {', '.join(sorted(root.hosts))}"))
    elif live_root.hosts != body:
        change = Change.DELETE if body is None else (Change.CREATE if live_root.hosts is None else Change.UPDATE)
        out.add(WRITE_HOSTS if body is not None else REMOVE_HOSTS, change, None,
                f"/etc/hosts block of lab {ctx.topo.name}", HostsSpec(body),
                before=None if live_root.hosts is None else "edited" if body else "present",
                after=entries(len(root.hosts)) if body else None, key=HostsKey(None))
    return out
