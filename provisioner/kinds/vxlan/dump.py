"""VXLAN segments in a topology file: the top-level `vxlans:`, one device of the segment's name on
each member node (defaults left out: port 4789, every node with the segment's bridge, in node order)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Interface, Kind, Topology
from .build import DEFAULT_PORT

if TYPE_CHECKING:
    from ...dump import Data, DumpContext

KIND = Kind.VXLAN

Members = list[tuple[str, Interface]]  # (node, its device of the segment)


def document(ctx: DumpContext) -> Data:
    vxlans = {name: segment(ctx.topo, members) for name, members in _devices(ctx.topo).items()}
    return {"vxlans": vxlans} if vxlans else {}


def _devices(topo: Topology) -> dict[str, Members]:
    devices: dict[str, Members] = {}
    for name, node in topo.nodes.items():
        for iface in node.root.interfaces.values():
            if iface.kind == KIND and iface.vxlan is not None:
                devices.setdefault(iface.name, []).append((name, iface))
    return devices


def segment(topo: Topology, members: Members) -> Data:
    first = members[0][1]
    assert first.vxlan is not None
    seg: Data = {"vni": first.vxlan.vni}
    if first.vxlan.port != DEFAULT_PORT:
        seg["port"] = first.vxlan.port
    seg["bridge"] = first.master
    order = member_order(topo, members)
    with_bridge = [n for n, node in topo.nodes.items()
                   if first.master in node.root.interfaces and node.root.interfaces[first.master].kind == Kind.BRIDGE]
    if order != with_bridge:  # the default: every node with a bridge of that name, in node order
        seg["nodes"] = order
    if first.mtu is not None:
        seg["mtu"] = first.mtu
    if first.description is not None:
        seg["description"] = first.description
    return seg


def member_order(topo: Topology, members: Members) -> list[str]:
    """The segment's node list: each node's forwarding entries (`remotes`) are the other
    members' underlay addresses in the list's order. Node order when it fits (the usual case)."""
    names = [n for n, _ in members]
    remotes = {n: i.vxlan.remotes if i.vxlan is not None else () for n, i in members}
    ips = {n: u.ip for n in names if (u := topo.nodes[n].underlay) is not None}
    if len(ips) != len(names):
        return names

    def fits(order: list[str]) -> bool:
        return all(tuple(ips[m] for m in order if m != n) == remotes[n] for n in order)

    if fits(names):
        return names
    head, by_ip = names[0], {ips[n]: n for n in names[1:]}
    others = [by_ip[ip] for ip in remotes[head] if ip in by_ip]  # the others, in the order head sees them
    for k in range(len(others) + 1):
        if fits(order := others[:k] + [head] + others[k:]):
            return order
    return names
