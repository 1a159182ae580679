"""Live state reader: the kernel's facts about the namespaces a lab cares about, over netlink.

Facts only (pyinfra style): no decisions here; the planner compares them to the model.
One dump of links, addresses and routes per namespace, through the pool's per-namespace
socket; nothing is created or changed while reading.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .hostsfile import read_managed_block, read_netns_hosts
from .model import IPAddress, IPInterface, IPNetwork
from .netns import NetnsPool, list_netns, netns_inode

RTPROT_TOPO = 151
"""Routes topo adds carry this protocol number, so the node's other routes are never touched."""
RTPROT_KERNEL = 2
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
RTNH_F_ONLINK = 4
IFF_UP = 1


@dataclass(frozen=True)
class LiveLink:
    index: int
    name: str
    kind: str  # veth, bridge, loopback, or the kernel's kind name ("" when none)
    alias: str | None
    mtu: int
    mac: str
    up: bool
    master: str | None
    peer_index: int | None


@dataclass(frozen=True)
class LiveRoute:
    dst: IPNetwork
    via: IPAddress | None
    dev: str | None
    metric: int
    onlink: bool
    src: IPAddress | None
    proto: int


@dataclass
class LiveNetns:
    name: str | None  # None: the node's root namespace
    inode: int | None = None
    links: dict[str, LiveLink] = field(default_factory=dict)
    addresses: dict[str, set[IPInterface]] = field(default_factory=dict)
    routes: list[LiveRoute] = field(default_factory=list)
    sysctls: dict[str, str | None] = field(default_factory=dict)
    hosts: str | None = None  # the namespace's hosts file, or the lab's block of /etc/hosts


@dataclass
class LiveState:
    root: LiveNetns
    namespaces: dict[str, LiveNetns]
    existing: set[str]  # every name under /run/netns, the lab's or not

    def netns(self, name: str | None) -> LiveNetns | None:
        return self.root if name is None else self.namespaces.get(name)


def _attr(msg: Any, name: str) -> Any:
    return msg.get_attr(name)


def _link(msg: Any, names: dict[int, str]) -> LiveLink:
    info = _attr(msg, "IFLA_LINKINFO")
    kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
    name = _attr(msg, "IFLA_IFNAME")
    if kind is None and name == "lo":
        kind = "loopback"
    master = _attr(msg, "IFLA_MASTER")
    return LiveLink(
        index=msg["index"],
        name=name,
        kind=kind or "",
        alias=_attr(msg, "IFLA_IFALIAS"),
        mtu=_attr(msg, "IFLA_MTU"),
        mac=(_attr(msg, "IFLA_ADDRESS") or "").lower(),
        up=bool(msg["flags"] & IFF_UP),
        master=names.get(master) if master else None,
        peer_index=_attr(msg, "IFLA_LINK") if kind == "veth" else None,
    )


def _route(msg: Any, names: dict[int, str]) -> LiveRoute | None:
    if msg["type"] != RTN_UNICAST:
        return None
    table = _attr(msg, "RTA_TABLE") or msg["table"]
    if table != RT_TABLE_MAIN:
        return None
    dst_attr = _attr(msg, "RTA_DST")
    family_any = "::" if msg["family"] == 10 else "0.0.0.0"
    dst = ipaddress.ip_network(f"{dst_attr or family_any}/{msg['dst_len']}", strict=False)
    gw = _attr(msg, "RTA_GATEWAY")
    src = _attr(msg, "RTA_PREFSRC")
    oif = _attr(msg, "RTA_OIF")
    return LiveRoute(
        dst=dst,
        via=ipaddress.ip_address(gw) if gw else None,
        dev=names.get(oif) if oif else None,
        metric=_attr(msg, "RTA_PRIORITY") or 0,
        onlink=bool(msg["flags"] & RTNH_F_ONLINK),
        src=ipaddress.ip_address(src) if src else None,
        proto=msg["proto"],
    )


def sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key.replace(".", "/")


def read_sysctl(key: str) -> str | None:
    try:
        return sysctl_path(key).read_text().strip()
    except OSError:
        return None


def read_netns(pool: NetnsPool, name: str | None, sysctls: Iterable[str], lab: str) -> LiveNetns:
    """Read one namespace. The namespace must exist (the caller checks /run/netns first)."""
    sock = pool.socket(name)
    live = LiveNetns(name, netns_inode(name) if name is not None else None)
    msgs = list(sock.get_links())
    names = {m["index"]: _attr(m, "IFLA_IFNAME") for m in msgs}
    for m in msgs:
        link = _link(m, names)
        live.links[link.name] = link
        live.addresses.setdefault(link.name, set())
    for a in sock.get_addr():
        ifname = names.get(a["index"])
        if ifname is None:
            continue
        addr = _attr(a, "IFA_ADDRESS") or _attr(a, "IFA_LOCAL")
        live.addresses.setdefault(ifname, set()).add(ipaddress.ip_interface(f"{addr}/{a['prefixlen']}"))
    for r in sock.get_routes(table=RT_TABLE_MAIN):
        route = _route(r, names)
        if route is not None:
            live.routes.append(route)
    with pool.inside(name):
        live.sysctls = {key: read_sysctl(key) for key in sysctls}
    live.hosts = read_netns_hosts(name) if name is not None else read_managed_block(lab)
    return live


def read_live(pool: NetnsPool, lab: str, namespaces: Iterable[str], sysctls: dict[str | None, set[str]]) -> LiveState:
    """Read the node's root namespace and the given lab namespaces that exist."""
    existing = set(list_netns())
    root = read_netns(pool, None, sysctls.get(None, ()), lab)
    found = {}
    for name in sorted(set(namespaces)):
        if name in existing:
            found[name] = read_netns(pool, name, sysctls.get(name, ()), lab)
    return LiveState(root, found, existing)
