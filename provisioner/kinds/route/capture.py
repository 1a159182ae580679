"""`topo save` of a namespace's routes: the unicast routes of the main table and of the
other tables a lab may use (not the kernel's local and default ones) except the kernel's own,
each with its device and, out of the main table, its table's number (`table: 100`; the main
table's routes come first); in the root namespace only those through a captured interface
(the node's other routes, its uplink's default route ..., are the machine's)."""

from __future__ import annotations

from typing import Mapping

from ...capture_core import Notes, NsName, where
from ...live import LiveNetns, LiveRoute
from ...model import Interface, IPAddress, Route, kernel_default_metric
from ...rtnl import RTN_UNICAST, RTPROT_KERNEL, RTPROT_RA
from .tables import MAIN


def _text(route: LiveRoute) -> str:
    return f"route {route.dst}" + (f" via {route.via}" if route.via is not None else "")


def capture_route(ns: NsName, route: LiveRoute, iface: Interface, local: set[IPAddress], notes: Notes) -> Route:
    """One unicast route through a captured interface (`local`: the namespace's captured
    addresses); a source that is none of them is left out, a gateway the interface cannot
    reach directly is written `onlink`, as the kernel takes it."""
    src = route.src
    if src is not None and src not in local:
        notes.skipped.append(f"{_text(route)} in {where(ns)}: source {src} is not a captured address; written without `src`")
        src = None
    via, onlink = route.via, route.onlink
    if (via is not None and not onlink and not (via.version == 6 and via.is_link_local)
            and not any(via in a.network for a in iface.addresses)):
        # a gateway reached through another route (Calico's 169.254.1.1): the kernel takes it
        # `onlink`, and the file must say so to be valid
        notes.skipped.append(f"{_text(route)} in {where(ns)}: gateway {via} is in no subnet of {iface.name}; written `onlink`")
        onlink = True
    metric = None if route.metric == kernel_default_metric(route.dst) else route.metric
    return Route(route.dst, via, iface.name, metric, onlink, src, table=route.table)


def capture_routes(ns: NsName, live: LiveNetns, ifaces: Mapping[str, Interface], local: set[IPAddress],
                   notes: Notes) -> list[Route]:
    """The namespace's routes to write (`ifaces`: its captured interfaces by name, `live`
    holds the links a file may name)."""
    out: list[Route] = []
    machine = 0
    for route in live.routes:
        if route.proto in (RTPROT_KERNEL, RTPROT_RA):
            continue
        iface = ifaces.get(route.dev) if route.dev is not None else None
        if ns is None and iface is None:
            machine += 1  # through the node's own devices (or none): the machine's, not the lab's
            continue
        if route.type != RTN_UNICAST:
            notes.skipped.append(f"{_text(route)} in {where(ns)}: route type {route.type} (blackhole, unreachable ...) "
                                 "is not modeled")
            continue
        if iface is None:
            why = (f"its device {route.dev} is not captured" if route.dev in live.links
                   else "a multipath route (topo models single paths)")
            notes.skipped.append(f"{_text(route)} in {where(ns)}: {why}")
            continue
        out.append(capture_route(ns, route, iface, local, notes))
    if machine:
        notes.left_out.append(f"{machine} routes of the root namespace that use none of the captured interfaces "
                              "(the node's own, e.g. via its uplink)")
    return sorted(out, key=lambda r: r.table != MAIN)  # stable: each table in the kernel's order
