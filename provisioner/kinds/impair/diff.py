"""Impairments: each impaired interface's root qdisc against the file's. topo's own qdisc
(handle 7470:) is set anew when it differs (drift: changed or removed) and removed when the
file no longer impairs its interface; a qdisc another tool put on an impaired interface is
unmanaged when it carries the file's impairments (a captured lab's), else a conflict, and
adopting replaces it with topo's; settings only netem carries (but `loss`: an nftables drop,
dropdiff.py) are a conflict, located in the file, on a kernel without sch_netem."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import LinkKey
from ...core.plan import Change, Unmanaged
from ...diagnostics import format_path
from .dropdiff import diff_drops
from .model import Impaired
from .ops import DELETE_QDISC, SET_QDISC, QdiscSpec
from .read import QdiscFacts, RawQdisc
from .show import describe, differing
from .tc import Netem, Tbf

NETEM_HINT = ("the kernel makes netem qdiscs with the module sch_netem (CONFIG_NET_SCH_NETEM); install the kernel's "
              "modules package, or keep only `rate` (a tbf qdisc) and `loss` (an nftables drop) on this node")


def _target(ifname: str) -> str:
    return f"impair {ifname}"


def wanted(imp: Impaired, netem: bool | None) -> Netem | Tbf | None:
    """netem carries every setting when the kernel has it; else `rate` is a tbf qdisc (and
    `loss` an nftables drop: None, no qdisc, when there is no rate)."""
    if netem is False:
        return Tbf.of(imp.impairment) if imp.impairment.rate else None
    return Netem.of(imp.impairment)


def netem_needs(imp: Impaired, netem: bool | None) -> list[str]:
    """The settings this kernel cannot carry: without sch_netem, all netem's but `loss` (an
    nftables drop, which has no correlation)."""
    if netem is not False:
        return []
    loss = imp.impairment.loss
    return [s for s in imp.impairment.netem_settings() if s != "loss"] + (["loss correlation"] if loss and loss.correlation else [])


def live_options(q: RawQdisc) -> Netem | Tbf | None:
    """topo's qdisc's options as the kernel reports them (None: not a kind topo makes)."""
    if q.kind == "netem" and len(q.options) >= 24:
        return Netem.decode(q.options)
    return Tbf.decode(q.options) if q.kind == "tbf" else None


def carries(q: RawQdisc, want: Netem | Tbf) -> bool:
    """Whether a qdisc (another tool's) carries the impairments `want` gives (as the file says
    them: a tbf's burst, for one, is not the file's)."""
    have = live_options(q)
    return type(have) is type(want) and have is not None and have.impairment() == want.impairment()


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    facts = ctx.live.facts.get("impair")
    if not isinstance(facts, QdiscFacts):
        facts = QdiscFacts(None)
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        live = ctx.live_ns(name, effects)
        if name in facts.errors and live is not None:
            out.conflict(name, "qdiscs", f"the qdiscs of {name or 'the root namespace'} could not be read: {facts.errors[name]}",
                         "see `tc qdisc show`")
            continue
        by_index = facts.roots.get(name, {}) if live is not None else {}
        qdiscs = {link.name: by_index[link.index] for link in (live.links.values() if live else ()) if link.index in by_index}
        declared = {i.ifname: i for i in ctx.topo.impairments if i.place == ns.place}
        for ifname, imp in declared.items():
            current = None if effects.link_made(name, ifname) else qdiscs.get(ifname)
            _one(ctx, out, name, imp, current, facts.netem)
        declared = {n: i for n, i in declared.items() if netem_needs(i, facts.netem) or wanted(i, facts.netem) is not None}
        for ifname, q in sorted(qdiscs.items()):
            if q.ours and ifname not in declared and not effects.link_goes(name, ifname):
                out.add(DELETE_QDISC, Change.DELETE, name, _target(ifname), QdiscSpec(ifname),
                        before=_shown(q), key=None, links=(LinkKey(name, ifname),))
    diff_drops(ctx, effects, facts, out)
    return out


def _shown(q: RawQdisc) -> str:
    opts = live_options(q)
    return f"{q.kind}: {describe(opts.impairment())}" if opts is not None else q.kind


def _one(ctx: DiffContext, out: Outcome, netns: str | None, imp: Impaired, current: RawQdisc | None, netem: bool | None) -> None:
    needs = netem_needs(imp, netem)
    if needs:
        out.conflict(netns, _target(imp.ifname), f"{format_path(imp.path)}: {', '.join(needs)} {'needs' if len(needs) == 1 else 'need'} the kernel module sch_netem, "
                     f"which node {ctx.node.name} does not have", NETEM_HINT, path=imp.path)
        return
    want = wanted(imp, netem)
    if want is None:
        return  # loss alone: dropped by nftables (dropdiff.py)
    spec = QdiscSpec(imp.ifname, want)
    links = (LinkKey(netns, imp.ifname),)
    after = describe(want.impairment() if isinstance(want, Tbf) else imp.impairment)
    if current is None or current.default:
        out.add(SET_QDISC, Change.CREATE, netns, _target(imp.ifname), spec, after=f"{spec.kind}: {after}", links=links)
        return
    if not current.ours:
        if not ctx.adopt and carries(current, want):
            out.unmanaged.append(Unmanaged(netns, f"{_target(imp.ifname)} ({current.kind} qdisc {current.handle >> 16:x}:, another tool's)"))
            return
        if not ctx.adopt:
            out.conflict(netns, _target(imp.ifname), f"{imp.ifname} has a {current.kind} qdisc (handle {current.handle >> 16:x}:) that lab "
                         f"{ctx.topo.name} did not make; the file gives it {after}",
                         "remove it (`tc qdisc del dev IFNAME root`), or pass --adopt to replace it")
            return
        out.add(SET_QDISC, Change.UPDATE, netns, _target(imp.ifname), spec, before=f"another's {current.kind}",
                after=f"{spec.kind}: {after}", links=links)
        return
    have = live_options(current)
    if have == want:
        return
    if current.kind != spec.kind:  # a qdisc changes its options in place, not its kind
        out.add(DELETE_QDISC, Change.DELETE, netns, _target(imp.ifname), QdiscSpec(imp.ifname), before=current.kind, links=links)
        out.add(SET_QDISC, Change.CREATE, netns, _target(imp.ifname), spec, after=f"{spec.kind}: {after}", links=links)
        return
    assert have is not None
    names = differing(have.impairment(), want.impairment()) or None
    out.add(SET_QDISC, Change.UPDATE, netns, _target(imp.ifname), spec,
            before=describe(have.impairment(), names) if names else f"{current.kind} options differ",
            after=describe(want.impairment(), names) if names else after, links=links)
