"""Live state reader: the kernel's facts about the namespaces a lab cares about, over netlink.

Facts only (pyinfra style): no decisions here; the planner compares them to the model.
One dump of links, addresses and routes per namespace, through the pool's per-namespace
socket; nothing is created or changed while reading.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from .hostsfile import HostsEntries, read_managed_block, read_netns_hosts, read_node_entries
from .model import IPAddress, IPInterface, IPNetwork
from .kinds.link.read import PortFacts, read_port
from .kinds.rule.read import read as read_rules
from .kinds.sysctl.read import interface_of, missing as missing_sysctls, read as read_sysctl
from .netns import NetnsPool, list_netns, netns_inode
from .processes import LiveProcess, read_processes
from .rtnl import (RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_UNSPEC, RTN_UNICAST, RTNH_F_ONLINK, RTPROT_KERNEL, RTPROT_TOPO,
                   RawLink, RawRoute)
from .rtnlsock import nsid_of

__all__ = ["RTPROT_TOPO", "RTPROT_KERNEL", "RTN_UNICAST", "LiveLink", "LiveRoute", "LiveNetns", "LiveState", "read_live"]

LinkReaders = dict[str, Callable[[RawLink], Any]]
"""A kind's reader of its own link facts (IFLA_INFO_DATA), by the kernel's kind name."""


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
    peer_in_other_netns: bool = False
    peer_netnsid: int | None = None  # the peer's namespace, as the id this namespace gives it
    info: Any = None  # the kind's own facts, from its reader: a VXLAN device's (VNI, port, local), ...
    link_index: int = 0  # IFLA_LINK: a veth's peer, a macvlan's parent (in the namespace of peer_netnsid)
    txqlen: int = 1000  # IFLA_TXQLEN (the kernel's default for most kinds)
    port: PortFacts | None = None  # a bridge port's settings (hairpin ...); None: not a bridge port

    @property
    def hairpin(self) -> bool:
        return self.port is not None and self.port.hairpin

    @property
    def vxlan(self) -> tuple[int, int, IPAddress | None] | None:
        return self.info if self.kind == "vxlan" else None


@dataclass(frozen=True)
class LiveRoute:
    dst: IPNetwork
    via: IPAddress | None
    dev: str | None
    metric: int
    onlink: bool
    src: IPAddress | None
    proto: int
    type: int = 1  # RTN_UNICAST; others (blackhole, unreachable, prohibit ...) only other tools make
    table: int = 254  # RT_TABLE_MAIN, or another table a lab's routes may be in


@dataclass
class LiveNetns:
    name: str | None  # None: the node's root namespace
    inode: int | None = None
    links: dict[str, LiveLink] = field(default_factory=dict)
    addresses: dict[str, set[IPInterface]] = field(default_factory=dict)
    routes: list[LiveRoute] = field(default_factory=list)
    sysctls: dict[str, str | None] = field(default_factory=dict)
    missing_sysctls: set[str] = field(default_factory=set)  # of the keys read: those with no /proc/sys file
    hosts: str | None = None  # the namespace's hosts file, or the lab's block of /etc/hosts
    fdb: dict[str, set[IPAddress]] = field(default_factory=dict)  # VXLAN device -> remotes (all-zero MAC entries)
    nsid: int | None = None  # for a namespace about to be deleted: the id the root namespace gives it
    broadcasts: dict[str, dict[IPInterface, IPAddress]] = field(default_factory=dict)  # link -> address -> IFA_BROADCAST
    rules: list[Any] = field(default_factory=list)  # kinds/rule/read.py: LiveRule, both families

    def renamed(self, renames: dict[str, str]) -> "LiveNetns":
        """The namespace as it is once the plan renamed these links (old -> new name): the same
        devices, addresses and routes under the new names. A per-interface sysctl of a new name
        is not read yet (its file appears with the name): unknown, so the plan sets it."""
        def new(name: str | None) -> str | None:
            return renames.get(name, name) if name is not None else None

        links = {}
        for name, link in self.links.items():
            link = replace(link, name=new(name) or name, master=new(link.master))
            links[link.name] = link
        renamed_to = set(renames.values())
        sysctls = {k: (None if interface_of(k) in renamed_to else v) for k, v in self.sysctls.items()}
        return replace(self, links=links,
                       addresses={new(n) or n: a for n, a in self.addresses.items()},
                       broadcasts={new(n) or n: b for n, b in self.broadcasts.items()},
                       routes=[replace(r, dev=new(r.dev)) for r in self.routes],
                       sysctls=sysctls,
                       missing_sysctls={k for k in self.missing_sysctls if interface_of(k) not in renamed_to},
                       fdb={new(n) or n: r for n, r in self.fdb.items()})


@dataclass
class LiveState:
    root: LiveNetns
    namespaces: dict[str, LiveNetns]
    existing: set[str]  # every name under /run/netns, the lab's or not
    processes: dict[tuple[str, str], LiveProcess] = field(default_factory=dict)  # (namespace, name)
    unpinned: set[str] = field(default_factory=set)  # of the lab's names there: files with no namespace mounted
    node_hosts: HostsEntries = field(default_factory=dict)  # the entries of /etc/hosts that are not the lab's (if asked)
    other_labs: dict[str, Any] = field(default_factory=dict)  # the machine's other labs' records (state.LabRecord), by lab
    facts: dict[str, Any] = field(default_factory=dict)  # the kinds' own facts of the node (KindSpec.facts), by kind
    live_rename: bool = True  # the kernel renames a link that is up (Linux 6.2 and later)

    def netns(self, name: str | None) -> LiveNetns | None:
        return self.root if name is None else self.namespaces.get(name)


def _link(raw: RawLink, names: dict[int, str], readers: LinkReaders) -> LiveLink:
    kind = raw.kind or ("loopback" if raw.name == "lo" else "")
    reader = readers.get(kind)
    return LiveLink(
        index=raw.index,
        name=raw.name,
        kind=kind,
        alias=raw.alias,
        mtu=raw.mtu,
        mac=raw.mac,
        up=raw.up,
        master=names.get(raw.master) if raw.master else None,
        peer_index=raw.link if kind == "veth" else None,
        peer_in_other_netns=raw.link_netnsid is not None,
        peer_netnsid=raw.link_netnsid,
        info=reader(raw) if reader is not None else None,
        link_index=raw.link,
        txqlen=raw.txqlen,
        port=read_port(raw),
    )


def route_destination(raw: RawRoute) -> IPNetwork:
    """A route's destination as a network (the kernel leaves it out for a default route)."""
    any_addr = "::" if raw.family == 10 else "0.0.0.0"
    return ipaddress.ip_network(f"{raw.dst or any_addr}/{raw.dst_len}", strict=False)


def _route(raw: RawRoute, names: dict[int, str]) -> LiveRoute | None:
    """A route of any type (the planner tells unicast ones from the rest) in a table a lab may
    use: not the kernel's local and default tables."""
    if raw.table in (RT_TABLE_UNSPEC, RT_TABLE_DEFAULT, RT_TABLE_LOCAL):
        return None
    return LiveRoute(
        dst=route_destination(raw),
        via=ipaddress.ip_address(raw.gateway) if raw.gateway else None,
        dev=names.get(raw.oif) if raw.oif else None,
        metric=raw.priority,
        onlink=bool(raw.flags & RTNH_F_ONLINK),
        src=ipaddress.ip_address(raw.prefsrc) if raw.prefsrc else None,
        proto=raw.proto,
        type=raw.type,
        table=raw.table,
    )


def link_readers() -> LinkReaders:
    """Every kind's reader of its own link facts (the registry's kinds of link that have one)."""
    from .kinds.registry import REGISTRY

    return {k.name: k.read for k in REGISTRY.links() if getattr(k, "read", None) is not None}


def read_netns(pool: NetnsPool, name: str | None, sysctls: Iterable[str], lab: str,
               readers: LinkReaders | None = None) -> LiveNetns:
    """Read one namespace. The namespace must exist (the caller checks /run/netns first)."""
    sock, roots = pool.socket(name), pool.roots
    live = LiveNetns(name, netns_inode(roots.netns_run, name) if name is not None else None)
    raw_links = sock.links()
    names = {r.index: r.name for r in raw_links}
    readers = link_readers() if readers is None else readers
    for r in raw_links:
        link = _link(r, names, readers)
        live.links[link.name] = link
        live.addresses[link.name] = set()
    for a in sock.addresses():
        ifname = names.get(a.index)
        if ifname is not None:
            live.addresses[ifname].add(a.address)
            if a.broadcast is not None:
                live.broadcasts.setdefault(ifname, {})[a.address] = a.broadcast
    for r in sock.routes():
        route = _route(r, names)
        if route is not None:
            live.routes.append(route)
    live.rules = read_rules(sock)
    vxlans = {r.index: r.name for r in raw_links if r.kind == "vxlan"}
    if vxlans:
        for entry in sock.fdb():
            if entry.index in vxlans and entry.dst is not None and entry.mac == "00:00:00:00:00:00":
                live.fdb.setdefault(vxlans[entry.index], set()).add(ipaddress.ip_address(entry.dst))
    keys = list(sysctls)
    if keys:
        with pool.inside(name):
            live.sysctls = {key: read_sysctl(key) for key in keys}
            live.missing_sysctls = missing_sysctls(keys)
    live.hosts = read_netns_hosts(roots.etc_netns, name) if name is not None else read_managed_block(roots.etc_hosts, lab)
    return live


def read_live(pool: NetnsPool, lab: str, namespaces: Iterable[str], sysctls: dict[str | None, set[str]],
              doomed: Iterable[str] = (), node_hosts: bool = False, known_ids: dict[str, int] | None = None) -> LiveState:
    """Read the node's root namespace and the given lab namespaces that exist. Of the `doomed`
    ones (about to be deleted) only their id as the root namespace knows them: which root veths
    go with them is then told by the veths' peer namespace ids, without entering each one
    (for 1,000 namespaces: 15 ms instead of a second). `node_hosts`: parse all of /etc/hosts
    too (only a lab with root hosts entries needs it, and the file can be large). A doomed namespace is
    read in full when its identity is not the one the lab's record knows (`known_ids`): only
    its links then tell whether it is the lab's (see planner: a namespace of another is kept)."""
    roots = pool.roots
    existing = set(list_netns(roots.netns_run))
    readers = link_readers()
    root = read_netns(pool, None, sysctls.get(None, ()), lab, readers)
    shallow = set(doomed)
    found = {}
    unpinned = set()
    for name in sorted(set(namespaces)):
        if name in existing:
            if not os.path.ismount(pool.path(name)):  # a run killed between making the file and pinning
                unpinned.add(name)
                continue
            if name in shallow and (known_ids or {}).get(name) == netns_inode(roots.netns_run, name):
                fd = pool.fd(name)
                try:
                    found[name] = LiveNetns(name, netns_inode(roots.netns_run, name), nsid=nsid_of(pool.socket(None), fd))
                finally:
                    os.close(fd)
                continue
            found[name] = read_netns(pool, name, sysctls.get(name, ()), lab, readers)
    processes = read_processes(roots, lab, {name: ns.inode for name, ns in found.items()})
    return LiveState(root, found, existing, processes, unpinned, read_node_entries(roots.etc_hosts, lab) if node_hosts else {},
                     live_rename=renames_while_up(os.uname().release))


def renames_while_up(release: str) -> bool:
    """Whether a kernel of this release renames a link that is up (Linux 6.2, commit bd039b5e
    "net/core: Allow live renaming when an interface is up"); before it only a link that is down."""
    found = re.match(r"(\d+)\.(\d+)", release)
    return found is not None and (int(found[1]), int(found[2])) >= (6, 2)
