"""`topo save` of impairments: the root qdisc of each captured interface, netem or tbf
(topo's own, handle 7470:, or another tool's: `tc qdisc add dev eth0 root netem delay 50ms`),
and the random drops of topo's netdev tables (`topo-LAB-impair`, any lab's) as `loss`: a drop on
a veth end's ingress hook is the loss of what its peer sends, one on an egress hook the loss of
what the device itself sends. Another root qdisc (htb, pfifo ...) is noted and left out; the
kernel's defaults (handle 0:) are nobody's impairment.

On the machine it was captured from, the captured file's plan has no change for them: topo's
qdiscs are the same qdiscs, another tool's that carry the file's values and another lab's drops
are reported unmanaged (diff.py, dropdiff.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ...capture_core import Captured, Notes, NsName, where
from ...model import IMPLICIT_NODE, EndRef, Place, Topology
from .diff import live_options
from .drop import DropTable, sender
from .model import Chance, Impaired, Impairment
from .read import drop_tables, nft_available, root_qdiscs


def _qdiscs(cap: Captured, ns: NsName, sock: Any, notes: Notes) -> dict[str, Impairment]:
    names = {link.index: name for name, link in cap.live[ns].links.items()}
    captured = {iface.name for n, iface in cap.interfaces if n == ns}
    out: dict[str, Impairment] = {}
    for ifindex, q in sorted(root_qdiscs(sock).items()):
        ifname = names.get(ifindex)
        if ifname not in captured or q.default:
            continue
        opts = live_options(q)
        if opts is None:
            notes.skipped.append(f"{q.kind} qdisc {q.handle >> 16:x}: on {ifname} in {where(ns)}: topo impairs with netem "
                                 "and tbf root qdiscs only")
            continue
        out[str(ifname)] = opts.impairment()
    return out


def _drops(topo: Topology, place: Place, tables: dict[str, DropTable], notes: Notes) -> dict[EndRef, float]:
    out: dict[EndRef, float] = {}
    for lab, table in sorted(tables.items()):
        for name, chain in sorted(table.chains.items()):
            if chain is None:
                notes.skipped.append(f"chain {name} of lab {lab}'s nftables table in {where(place.netns)}: not one random drop of topo's")
                continue
            out[sender(topo, place, chain)] = chain.percent
    return out


def capture_topology(cap: Captured, topo: Topology, pool: Any, notes: Notes) -> None:
    """The captured interfaces' impairments (the hook provisioner/capture.py calls once the
    namespaces and veth pairs are captured)."""
    found: dict[EndRef, Impairment] = {}
    losses: dict[EndRef, float] = {}
    nft = nft_available()
    for ns in cap.netns:
        place = Place(IMPLICIT_NODE, ns)
        try:
            for ifname, imp in _qdiscs(cap, ns, pool.socket(ns), notes).items():
                found[EndRef(place, ifname)] = imp
            if nft:
                with pool.inside(ns):
                    tables = drop_tables()
                losses.update(_drops(topo, place, {lab: t for lab, t in tables.items() if t.marked}, notes))
        except OSError as exc:
            notes.skipped.append(f"the impairments of {where(ns)}: cannot be read ({exc.strerror or exc})")
    interfaces = {EndRef(Place(IMPLICIT_NODE, n), i.name) for n, i in cap.interfaces}
    for end, percent in losses.items():
        if end in interfaces:
            found[end] = replace(found.get(end, Impairment()), loss=Chance(percent))
    topo.impairments = [Impaired(end.place, end.ifname, imp) for end, imp in found.items()]
