"""resolv.conf: every lab namespace but the DNS server's own gets the cluster DNS's, as
kubelet writes it; one topo wrote goes when the file no longer has a cluster DNS. A
resolv.conf topo did not write (its first line is not topo's) is another's: never changed."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.plan import Change
from .ops import REMOVE_RESOLV, WRITE_RESOLV, ResolvSpec


def ours(text: str, lab: str) -> bool:
    return text.startswith(f"# topo lab {lab}:")


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    lab = ctx.topo.name
    live = ctx.live.facts.get("dns") or {}
    dns = ctx.topo.dns
    # the namespaces read (the file's and the record's: those that go are no longer in scope)
    for name in sorted(set(live) | ctx.scope(effects)):
        # a namespace that goes keeps its /etc/netns files: the one topo wrote goes too
        want = dns.resolv_conf(lab) if dns is not None and name in ctx.node.namespaces and name != dns.pod \
            and not effects.goes(name) else None
        have = None if effects.made(name) else live.get(name)
        target = f"resolv.conf /etc/netns/{name}/resolv.conf"
        if have is not None and not ours(have, lab):
            if want is not None:
                out.conflict(name, target, f"/etc/netns/{name}/resolv.conf exists and was not written by lab {lab}",
                             "remove it (another tool's file is never changed), or take the namespace out of the lab's DNS")
            continue
        if want == have:
            continue
        if want is None:
            out.add(REMOVE_RESOLV, Change.DELETE, name, target, ResolvSpec(None), before="the cluster DNS")
        else:
            out.add(WRITE_RESOLV, Change.CREATE if have is None else Change.UPDATE, name, target, ResolvSpec(want),
                    before=None if have is None else "edited", after=f"nameserver {dns.cluster_ip}")
    return out
