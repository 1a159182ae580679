"""Build veth pairs: a namespace's `interfaces:` (settings of its veth ends and `lo`) and the
`links:`, each joining two ends `OWNER:IFNAME` (a namespace, a node, or a bridge whose port
the end becomes). An end's settings come from one place: `interfaces:` or the link's end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import DiagnosticSink, YamlPath, format_path
from ...model import EndRef, Interface, Kind, Netns, Place, Topology, VethPair
from ...names import printable
from ..buildctx import BuildContext, suggest, valid_ifname
from ..link.build import settings

_IfKey = tuple[Place, str]


@dataclass
class _Ends:
    """Where each interface's settings were given, and the `interfaces:` no link has used yet."""

    origins: dict[_IfKey, dict[str, YamlPath]] = field(default_factory=dict)
    declared: dict[_IfKey, YamlPath] = field(default_factory=dict)
    used: dict[_IfKey, YamlPath] = field(default_factory=dict)  # by the link end that took it


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    ends = ctx.state(_Ends)
    for ifname, ifraw in (raw.get("interfaces") or {}).items():
        ipath = path + ("interfaces", ifname)
        if err := valid_ifname(ifname):
            ctx.sink.error(ipath, err, "shorten it; `ip link` refuses names over 15 characters", key=True)
            continue
        iface = ns.interfaces.get(ifname) or Interface(ifname, Kind.VETH, path=ipath)
        iface.path = ipath
        ns.interfaces[ifname] = iface
        ends.origins[(ns.place, ifname)] = {}
        settings(ctx, iface, ipath, ifraw, ends.origins[(ns.place, ifname)])
        if ifname != "lo":
            ends.declared[(ns.place, ifname)] = ipath


def build(ctx: BuildContext, topo: Topology) -> None:
    for i, lraw in enumerate(ctx.data.get("links") or []):
        lpath: YamlPath = ("links", i)
        specs = {side: (lraw[side] if isinstance(lraw[side], dict) else {"at": lraw[side]}) for side in ("a", "b")}
        owner_names = {side: str(spec["at"]).partition(":")[0] for side, spec in specs.items()}
        ends = [_end(ctx, topo, lpath, lraw, side, specs[side], owner_names[other])
                for side, other in (("a", "b"), ("b", "a"))]
        if ends[0] is None or ends[1] is None:
            continue
        a, b = ends
        if a.place.node != b.place.node:
            ctx.sink.error(lpath, f"a veth pair cannot join two nodes ({a.place.node} and {b.place.node})",
                           "connect nodes with routed pod networks or a VXLAN segment")
            continue
        topo.interface(a).peer = b
        topo.interface(b).peer = a
        topo.veths.append(VethPair(a, b, ctx.text(lpath + ("description",), lraw.get("description")), lpath))


def _end(ctx: BuildContext, topo: Topology, lpath: YamlPath, lraw: dict[str, Any], side: str,
         spec: dict[str, Any], other_owner: str) -> EndRef | None:
    """One end of the link at `lpath`: its interface made (or found in `interfaces:`) and set."""
    sink, state = ctx.sink, ctx.state(_Ends)
    epath = lpath + (side,)
    at = str(spec["at"])
    owner_name, _, ifname = at.partition(":")
    apath = epath + ("at",) if isinstance(lraw[side], dict) else epath
    owner = ctx.owners.resolve(owner_name, other_owner)
    if owner is None:
        by_node = ctx.owners.bridges
        if owner_name in by_node:
            sink.error(apath, f"bridge {owner_name} is on nodes {', '.join(sorted(by_node[owner_name]))}; "
                              "the link's other end does not say which", "connect it to a namespace on one of them")
        else:
            sink.error(apath, f"{printable(owner_name)} is not a namespace, bridge or node of this lab",
                       suggest(owner_name, list(ctx.owners.places) + list(by_node)))
        return None
    if err := valid_ifname(ifname):
        sink.error(apath, err, "shorten it; `ip link` refuses names over 15 characters")
        return None
    key = (owner.place, ifname)
    if key in state.used:
        sink.error(apath, f"veth end '{at}' is already used by {format_path(state.used[key])}",
                   "each interface can be one end of one veth pair")
        return None
    ns = topo.netns(owner.place)
    if ifname == "lo" or (ifname in ns.interfaces and ns.interfaces[ifname].kind != Kind.VETH):
        what = ns.interfaces[ifname].kind if ifname in ns.interfaces else Kind.LOOPBACK  # a node's lo is not in the model
        sink.error(apath, f"'{ifname}' already exists in {owner_name} as a {what}",
                   "pick another name for the veth end")
        return None
    state.used[key] = apath
    iface = ns.interfaces.get(ifname)
    if iface is None:
        iface = ns.interfaces[ifname] = Interface(ifname, Kind.VETH, path=epath)
    origin = state.origins.setdefault(key, {})
    settings(ctx, iface, epath, spec, origin)
    if "mtu" in lraw and "mtu" not in origin:
        iface.mtu = ctx.integer(lpath + ("mtu",), lraw["mtu"])
    iface.master = owner.bridge
    state.declared.pop(key, None)
    return EndRef(owner.place, ifname)


def finish(ctx: BuildContext, topo: Topology) -> None:
    """An interface of `interfaces:` that no link made a veth end is refused (and left out)."""
    for (place, ifname), ipath in ctx.state(_Ends).declared.items():
        ctx.sink.error(ipath, f"interface '{ifname}' of namespace {place.netns} is not an end of any link",
                       f"add a link such as {{a: {place.netns}:{ifname}, b: BRIDGE:veth-{place.netns}}}", key=True)
        topo.netns(place).interfaces.pop(ifname, None)


DEFAULT_MTU = 1500
"""The MTU the kernel gives a veth end or a bridge the file gives none."""


def check(topo: Topology, sink: DiagnosticSink) -> None:
    """The two ends of a veth pair, and a bridge's port and the bridge, have one MTU (warnings;
    an MTU the file leaves out is the kernel's 1500)."""
    for pair in topo.veths:
        a, b = topo.interface(pair.a), topo.interface(pair.b)
        if (a.mtu or DEFAULT_MTU) != (b.mtu or DEFAULT_MTU):
            sink.warning(pair.path, f"MTU differs across the veth pair: {a.name} {a.mtu or 'default'}, {b.name} {b.mtu or 'default'}",
                         "set `mtu:` on the link to give both ends the same MTU")
        bridge = a.master or b.master
        if bridge is not None:
            place: Place = pair.b.place if b.master else pair.a.place
            br = topo.netns(place).interfaces.get(bridge)
            port = b if b.master else a
            if br is not None and br.mtu is not None and (port.mtu or DEFAULT_MTU) != br.mtu:
                sink.warning(pair.path, f"port {port.name} has MTU {port.mtu or 'default'} but bridge {bridge} has {br.mtu}",
                             "give the link the bridge's MTU")
