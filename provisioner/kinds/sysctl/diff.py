"""Sysctls: the file's values; in the root namespace the originals are kept in the record
and restored when the lab no longer sets them."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import SysctlKey
from ...core.plan import Change
from ...names import sysctl_path
from .ops import SET_SYSCTL, SysctlSpec
from .read import interface_of, proxy

FORWARDING_SWITCHES = frozenset({"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding"})
"""Sysctls whose change makes the kernel rewrite others (see `_writes`)."""

Item = tuple[str, str, "str | None", str]  # key, value, current value, what the plan shows


def rewritten_with_forwarding(key: str) -> bool:
    """Knobs the kernel rewrites when forwarding of their family is switched."""
    return key not in FORWARDING_SWITCHES and (key.endswith(".forwarding") or key == "net.ipv4.conf.all.accept_redirects")


def norm(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None


def absent(ctx: DiffContext, effects: Effects, netns: str | None, key: str) -> bool:
    """Whether `key` does not exist in the namespace and will not once the plan has run: no
    /proc/sys file for it there (or, for a namespace the plan makes, in the root namespace),
    and, for a key of an interface that does not exist yet, no `default` key of its family."""
    live = ctx.live_ns(netns, effects)
    facts = live if live is not None else ctx.live.root
    if key not in facts.missing_sysctls:
        return False
    ifname = interface_of(key)
    if ifname is None or (live is not None and ifname in live.links):
        return True
    return proxy(key) in facts.missing_sysctls


def _where(ctx: DiffContext, netns: str | None) -> str:
    return f"namespace {netns}" if netns is not None else f"the root namespace of node {ctx.node.name}"


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    originals = dict(ctx.record.sysctls)
    root: list[Item] = []
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        live = ctx.live_ns(name, effects)
        wanted = []
        gone = [k for k in ns.sysctls if absent(ctx, effects, name, k)]
        for key in gone:
            out.conflict(name, f"sysctl {key}", f"sysctl {key} does not exist in {_where(ctx, name)} "
                         f"(no {sysctl_path(key)}); nothing can set it",
                         "check its spelling (`sysctl -a | grep NAME` lists the node's), or load the kernel module that "
                         "provides it")
        for key, value in ns.sysctls.items():
            if key in gone:
                continue
            cur = norm(live.sysctls.get(key)) if live else None
            wanted.append((key, value, cur, value))
            if name is None and key not in originals:
                # another lab sets it too: the machine's own value is the one that lab keeps;
                # a knob the kernel set when the lab switched forwarding: restoring the
                # switch restores it, so there is nothing of its own to restore
                shared = _kept_by_others(ctx, key)
                originals[key] = shared[0] if shared else None if _switched_by_lab(ctx, key, originals) else cur
        if name is None:
            root = wanted
        else:
            _writes(out, name, wanted)
    for key in sorted(set(originals) - set(ctx.node.root.sysctls)):
        original = originals.pop(key)
        if _kept_by_others(ctx, key):
            continue  # another live lab sets it: it restores the machine's value when it goes
        if original is not None:
            root.append((key, original, norm(ctx.live.root.sysctls.get(key)), f"{original} (restored)"))
    _writes(out, None, root)  # declared and restored together: a restored switch goes first too
    ctx.record.sysctls = originals
    return out


def _kept_by_others(ctx: DiffContext, key: str) -> list[str | None]:
    """The originals other labs of this machine keep for a root sysctl they set (none: no
    other lab sets it)."""
    return [rec.sysctls[key] for _, rec in sorted(ctx.live.other_labs.items()) if key in rec.sysctls]


def _switched_by_lab(ctx: DiffContext, key: str, originals: dict[str, str | None]) -> bool:
    """Whether `key` is a knob the kernel rewrites with forwarding and the lab has switched
    forwarding of its family on this node (the switch's live value is not its original)."""
    family = key.split(".")[1]
    return rewritten_with_forwarding(key) and any(
        switch in originals and originals[switch] is not None
        and norm(ctx.live.root.sysctls.get(switch)) != norm(originals[switch])
        for switch in FORWARDING_SWITCHES if switch.split(".")[1] == family)


def _writes(out: Outcome, netns: str | None, items: list[Item]) -> None:
    """The writes that make the items hold. Forwarding switches go first, since switching one
    makes the kernel rewrite other knobs of its family (IPv4: every conf.*.forwarding and
    conf.all.accept_redirects; IPv6: every conf.*.forwarding): those are written again after
    it even when they hold now."""
    switched: set[str] = set()
    for key, value, cur, shown in sorted(items, key=lambda item: (item[0] not in FORWARDING_SWITCHES, item[0])):
        family = key.split(".")[1] if key.count(".") else ""
        if cur != norm(value):
            out.add(SET_SYSCTL, Change.UPDATE if cur is not None else Change.CREATE, netns, f"sysctl {key}",
                    SysctlSpec(key, value), before=cur, after=shown, key=SysctlKey(netns, key))
            if key in FORWARDING_SWITCHES:
                switched.add(family)
        elif family in switched and rewritten_with_forwarding(key):
            out.add(SET_SYSCTL, Change.UPDATE, netns, f"sysctl {key}", SysctlSpec(key, value),
                    before="rewritten by the kernel when forwarding is switched", after=shown, key=SysctlKey(netns, key))
