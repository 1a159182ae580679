"""`topo save` of the settings every kind of interface shares beyond its kind's own: the
queue length, a bridge port's hairpin mode, and the per-interface sysctls a tool changed
(the CNI bridge plugin turns accept_ra off on the bridge and its host veths, DAD off and
arp_notify on in the pod). What a port has that topo does not model is noted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ...capture_core import Captured, Notes, NsName, where
from ...live import LiveLink
from ...model import Kind
from ..sysctl.read import read as read_sysctl

if TYPE_CHECKING:
    from ...netns import NetnsPool

DEFAULT_TXQLEN = 1000
"""The queue length the kernel gives a new veth, bridge, macvlan or vxlan device (a kind
whose devices get another says so: `default_txqueuelen(link)` in its capture.py)."""
IFACE_SYSCTLS = {
    "ipv4": ("arp_notify", "arp_ignore", "arp_announce", "proxy_arp", "rp_filter", "accept_redirects",
             "send_redirects", "accept_local", "route_localnet"),
    "ipv6": ("accept_ra", "accept_dad", "autoconf", "disable_ipv6", "accept_redirects"),
}
"""Per-interface sysctls captured where an interface's value is not its namespace's
`default` (what the kernel gave it when it was made). lo is left out: the kernel sets its own."""


def capture_link_settings(cap: Captured, notes: Notes) -> None:
    """Each captured interface's queue length (when not the kernel's) and hairpin mode; a
    port's settings topo does not model are noted, one line each."""
    defaults = txqlen_defaults()
    for ns, iface in cap.interfaces:
        link = cap.live[ns].links[iface.name]
        default = defaults[iface.kind](link) if iface.kind in defaults else DEFAULT_TXQLEN
        if link.txqlen != default and iface.kind != Kind.LOOPBACK:
            iface.txqueuelen = link.txqlen
        if link.port is None:
            continue
        if link.hairpin and iface.master is not None:
            iface.hairpin = True
        for setting in link.port.unmodelled:
            notes.skipped.append(f"bridge port {iface.name} in {where(ns)}: {setting} (topo does not model this port "
                                 "setting; applying the file leaves the kernel's default)")


def txqlen_defaults() -> dict[str, Callable[[LiveLink], int]]:
    """Kind -> the queue length the kernel gives a new device of it, for the kinds whose
    capture.py has `KIND` and `default_txqueuelen(link)` (tun devices: 500)."""
    from ..registry import REGISTRY

    modules: list[Any] = REGISTRY.modules("capture")
    return {m.KIND: m.default_txqueuelen for m in modules if hasattr(m, "KIND") and hasattr(m, "default_txqueuelen")}


def capture_interface_sysctls(cap: Captured, pool: NetnsPool) -> None:
    """The per-interface sysctls (IFACE_SYSCTLS) of each captured interface that differ from
    its namespace's default, added to the namespace's `sysctls:`."""
    by_ns: dict[NsName, list[str]] = {}
    for ns, iface in cap.interfaces:
        if iface.kind != Kind.LOOPBACK:
            by_ns.setdefault(ns, []).append(iface.name)
    for ns, names in by_ns.items():
        with pool.inside(ns):
            found = {key: value for name in names for key, value in _changed(name).items()}
        cap.netns[ns].sysctls.update(found)


def _changed(ifname: str) -> dict[str, str]:
    out = {}
    for family, keys in IFACE_SYSCTLS.items():
        for key in keys:
            value = read_sysctl(f"net.{family}.conf.{ifname.replace('.', '/')}.{key}")
            default = read_sysctl(f"net.{family}.conf.default.{key}")
            if value is not None and default is not None and value != default:
                out[f"net.{family}.conf.{ifname.replace('.', '/')}.{key}"] = value
    return out
