"""`topo save` of the root namespace's bridges (`bridges:`) and of their ports (the
captured interfaces whose master is one of them)."""

from __future__ import annotations

from ...capture_core import Captured, Notes, interface, where
from ...live import LiveLink
from ...model import Interface, Kind, Netns

DEFAULT_MTU = 1500


def capture_bridge(link: LiveLink, macs: bool) -> Interface:
    return interface(link, Kind.BRIDGE, DEFAULT_MTU, macs)


def capture_masters(cap: Captured, notes: Notes) -> None:
    """Each captured interface's master, when it is a captured bridge of the same namespace;
    any other master is noted and left out."""
    bridges = {(ns, i.name) for ns, i in cap.interfaces if i.kind == Kind.BRIDGE}
    for ns, iface in cap.interfaces:
        master = cap.live[ns].links[iface.name].master
        if master is None:
            continue
        if (ns, master) in bridges:
            iface.master = master
        else:
            notes.skipped.append(f"{iface.kind} {iface.name} in {where(ns)}: its master {cap.device(ns, master)} is not captured; "
                                 "written without it")


def drop_portless(root: Netns, notes: Notes) -> None:
    """With --netns: only the root bridges that have a captured port."""
    used = {i.master for i in root.interfaces.values() if i.master}
    for name in [n for n, i in root.interfaces.items() if i.kind == Kind.BRIDGE and n not in used]:
        del root.interfaces[name]
        notes.left_out.append(f"bridge {name} (no port in the namespaces named with --netns)")


def keep_chosen_mtu(root: Netns) -> None:
    """A bridge keeps an MTU its ports do not have only when it was set (the kernel follows
    its ports' otherwise): write the default MTU then, so that applying the file sets it."""
    for iface in root.interfaces.values():
        if iface.kind == Kind.BRIDGE and iface.mtu is None:
            ports = [i for i in root.interfaces.values() if i.master == iface.name]
            if any(p.mtu is not None for p in ports):
                iface.mtu = DEFAULT_MTU
