"""Loss without sch_netem: each namespace's drop chains (drop.py) against the file's. A
missing table is made, a chain whose rule differs or is gone is set anew, a chain no longer
wanted is deleted, and the table goes with the lab's last loss of the namespace (a lab
namespace takes it along when it is deleted; the node's root namespace is cleaned
explicitly). A table of that name without the lab's mark is another's: a conflict. A chain
another lab's table has exactly as wanted (the lab a file was captured from) is left to it,
reported unmanaged."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import LinkKey
from ...core.plan import Change, Unmanaged
from ...model import Place
from . import units
from .drop import FAMILY, DropChain, DropChange, DropTable, table_name, wanted
from .model import Impaired
from .ops import DELETE_DROP, SET_DROP
from .read import QdiscFacts


def _label(lab: str) -> str:
    return f"nftables table {FAMILY} {table_name(lab)}"


def _sends(imp: Impaired, chain: DropChain) -> str:
    return f"drop {units.format_percent(chain.percent)} of what {imp.place.netns or '(root)'}:{imp.ifname} sends"


def _not_covered(out: Outcome, effects: Effects, netns: str | None, want: dict[str, tuple[DropChain, Impaired]], live: DropTable | None,
                 others: dict[str, DropTable]) -> dict[str, tuple[DropChain, Impaired]]:
    """The wanted chains but those another lab's table has exactly so (and the lab's own does
    not): that lab drops the loss already (a captured lab's, or one adopted from it), and a second
    drop would lose more; each is reported unmanaged."""
    have = live.chains if live is not None else {}
    kept = {}
    for cname, (chain, imp) in want.items():
        owner = next((other for other, table in sorted(others.items()) if table.chains.get(cname) == chain), None)
        if owner is not None and cname not in have and not effects.link_made(netns, chain.device):
            out.unmanaged.append(Unmanaged(netns, f"loss {cname} (lab {owner}'s {_label(owner)})"))
        else:
            kept[cname] = (chain, imp)
    return kept


def diff_drops(ctx: DiffContext, effects: Effects, facts: QdiscFacts, out: Outcome) -> None:
    lab = ctx.topo.name
    impairments = [i for i in ctx.topo.impairments if i.place.node == ctx.node.name]
    wants = wanted(ctx.topo, impairments) if facts.netem is False else {}
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        want = wants.get(Place(ctx.node.name, name), {})
        if name in facts.errors:
            continue  # the qdisc diff reports the namespace it could not read
        if want and not facts.nft:
            out.conflict(name, _label(lab), f"loss without sch_netem is an nftables drop: libnftables and its Python binding are not "
                         f"installed on node {ctx.node.name}", "install Debian's nftables and python3-nftables (scripts/setup.sh does)")
            continue
        there = ctx.live_ns(name, effects) is not None
        live = facts.drops.get(name) if there else None
        want = _not_covered(out, effects, name, want, live, facts.others.get(name, {}) if there else {})
        if live is not None and not live.marked:
            if want:
                out.conflict(name, _label(lab), f"{_label(lab)} exists in {name or 'the root namespace'} and was not created by lab {lab}",
                             f"delete it (`nft delete table {FAMILY} {table_name(lab)}`) or rename the lab")
            continue
        if not want:
            if live is not None and not (name is not None and effects.goes(name)):
                out.add(DELETE_DROP, Change.DELETE, name, _label(lab), DropChange(lab, delete_table=True),
                        before=f"{len(live.chains)} drop chains")
            continue
        if live is None:
            out.add(SET_DROP, Change.CREATE, name, _label(lab), DropChange(lab, create=True))
        have = live.chains if live is not None else {}
        for cname, (chain, imp) in sorted(want.items()):
            links = (LinkKey(name, chain.device),)
            target = f"loss {cname}"
            if cname not in have:
                out.add(SET_DROP, Change.CREATE, name, target, DropChange(lab, set_chains=(chain,)), after=_sends(imp, chain), links=links)
            elif have[cname] != chain or effects.link_made(name, chain.device):
                old = have[cname]
                remake = effects.link_made(name, chain.device)
                out.add(SET_DROP, Change.UPDATE, name, target, DropChange(lab, set_chains=(chain,), remake=remake),
                        before=f"drop {units.format_percent(old.percent)}" if old is not None else "no drop rule of topo's",
                        after=_sends(imp, chain), links=links)
        for cname in sorted(set(have) - set(want)):
            out.add(DELETE_DROP, Change.DELETE, name, f"loss {cname}", DropChange(lab, delete_chains=(cname,)))
