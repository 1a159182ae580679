"""Planner: the difference between the desired model and the live facts, as ordered actions.

Pure: it reads a `Topology`, a `LiveState` and the lab's `LabRecord`, and returns a `Plan`.
It never talks to the kernel. Ownership rules:
- a namespace is the lab's when the record lists it; everything inside it is the lab's;
- a link in a node's root namespace is the lab's when its alias is `topo:LAB`;
- a route in the root namespace is the lab's when it has topo's protocol number and the
  record lists it.
Anything else the file names that exists already was made by another tool (or another lab).
Exactly as the file says it: it is *unmanaged* and in sync, no change (topo leaves it alone,
destroy keeps it). Different from the file: a conflict naming the differences, since topo
never changes what it did not create. With `adopt` such objects are taken over instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Union

from .hostsfile import parse_entries, render_block_body, render_netns_hosts
from .live import RTN_UNICAST, RTPROT_KERNEL, RTPROT_TOPO, LiveLink, LiveNetns, LiveRoute, LiveState
from .processes import LiveProcess, user_missing
from .model import (
    EndRef,
    Interface,
    IPAddress,
    IPInterface,
    Kind,
    Netns,
    Node,
    Process,
    Route,
    Topology,
    Vxlan,
    kernel_default_metric,
)
from .state import LabRecord, alias_for


class Op(str, Enum):
    STOP_PROCESS = "stop-process"
    DELETE_NETNS = "delete-namespace"
    DELETE_ROUTE = "delete-route"
    DELETE_FDB = "delete-fdb"
    DELETE_ADDRESS = "delete-address"
    DELETE_LINK = "delete-link"
    CREATE_NETNS = "create-namespace"
    ADOPT_NETNS = "adopt-namespace"
    CREATE_BRIDGE = "create-bridge"
    CREATE_VXLAN = "create-vxlan"
    CREATE_VETH = "create-veth"
    SET_LINK = "set-link"
    SET_SYSCTL = "set-sysctl"
    ADD_ADDRESS = "add-address"
    SET_ROUTE = "set-route"
    ADD_FDB = "add-fdb"
    WRITE_HOSTS = "write-hosts"
    REMOVE_HOSTS = "remove-hosts"
    START_PROCESS = "start-process"


PHASE = {op: i for i, op in enumerate(Op)}
"""Actions run in this order: removals first (namespaces first: the kernel then removes their
links in one batch), then namespaces, links, settings, addresses, routes, files."""


class Change(str, Enum):
    CREATE = "+"
    UPDATE = "~"
    DELETE = "-"


@dataclass(frozen=True)
class LinkSpec:
    """What a new or changed link should look like (None: leave as it is)."""

    name: str = ""
    mtu: int | None = None
    mac: str | None = None
    up: bool | None = None
    master: str | None = None
    nomaster: bool = False
    alias: str | None = None
    vanishes: bool = False  # for deletions: goes away with a namespace this plan deletes


@dataclass(frozen=True)
class VethSpec:
    a_netns: str | None
    a_name: str
    b_netns: str | None
    b_name: str
    a: LinkSpec
    b: LinkSpec


@dataclass(frozen=True)
class VxlanSpec:
    link: LinkSpec
    vxlan: Vxlan


@dataclass(frozen=True)
class FdbSpec:
    """A forwarding entry of a VXLAN device: frames for unknown MACs go to `remote` too."""

    ifname: str
    remote: IPAddress


@dataclass(frozen=True)
class RouteSpec:
    route: Route
    replace: bool = False


@dataclass(frozen=True)
class SysctlSpec:
    key: str
    value: str


@dataclass(frozen=True)
class HostsSpec:
    text: str | None  # None: remove


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    process: Process | None = None  # for starts


@dataclass(frozen=True)
class AddressSpec:
    ifname: str
    address: IPInterface
    again: bool = False  # re-add one the kernel drops with another (NLM_F_REPLACE: no error if still there)


Payload = Union[LinkSpec, VethSpec, VxlanSpec, FdbSpec, ProcessSpec, RouteSpec, SysctlSpec, HostsSpec, AddressSpec, None]


@dataclass(frozen=True)
class Action:
    op: Op
    change: Change
    netns: str | None  # where it happens; None: the node's root namespace
    target: str  # what it is about, for people: "veth pod-a:eth0 <-> cni0:veth1", "address 10.0.0.2/24 on eth0"
    payload: Payload = None
    before: str | None = None
    after: str | None = None

    @property
    def where(self) -> str:
        return self.netns if self.netns is not None else "(root)"

    def describe(self) -> str:
        """`+ target (what)`, `~ target: before -> after` or `- target`."""
        text = f"{self.change.value} {self.target}"
        if self.change is Change.UPDATE and (self.before or self.after):
            text += f": {self.before or '(none)'} -> {self.after or '(none)'}"
        elif self.change is Change.CREATE and self.after and self.after not in self.target:
            text += f" ({self.after})"
        return text


@dataclass(frozen=True)
class Conflict:
    netns: str | None
    target: str
    message: str
    hint: str


@dataclass(frozen=True)
class Unmanaged:
    """Something the file names that exists exactly as declared but was not made by the lab."""

    netns: str | None
    target: str


@dataclass
class Plan:
    lab: str
    node: str
    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    record: LabRecord | None = None  # what the record must say once the plan has run
    unmanaged: list[Unmanaged] = field(default_factory=list)  # in sync, left alone, not the lab's

    @property
    def empty(self) -> bool:
        return not self.actions and not self.conflicts

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "change": 0, "delete": 0}
        for a in self.actions:
            out[{Change.CREATE: "create", Change.UPDATE: "change", Change.DELETE: "delete"}[a.change]] += 1
        return out


def route_key(netns: str | None, route: Route | LiveRoute) -> str:
    metric = route.metric if route.metric is not None else kernel_default_metric(route.dst)
    return f"{netns or ''}|{route.dst}|{metric}"


FALLBACK_DEVICES = frozenset({"sit0", "ip6tnl0", "tunl0", "gre0", "gretap0", "erspan0", "ip_vti0", "ip6_vti0", "ip6gre0"})
"""Devices the kernel puts in every new namespace while their tunnel module is loaded."""

_FORWARDING_SWITCHES = frozenset({"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding"})
"""Sysctls whose change makes the kernel rewrite others (see `_Differ.set_sysctls`)."""


def _rewritten_with_forwarding(key: str) -> bool:
    """Knobs the kernel rewrites when forwarding of their family is switched."""
    return key not in _FORWARDING_SWITCHES and (key.endswith(".forwarding") or key == "net.ipv4.conf.all.accept_redirects")


def _norm_sysctl(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None


def _auto_address(ifname: str, addr: IPInterface) -> bool:
    """Addresses the kernel adds by itself: IPv6 link-local, and lo's loopback addresses."""
    if addr.version == 6 and addr.ip.is_link_local:
        return True
    return ifname == "lo" and addr in (ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128"))


@dataclass
class _Differ:
    topo: Topology
    node: Node
    live: LiveState
    record: LabRecord
    adopt: bool
    alias: str
    actions: list[Action] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    fresh: set[str | None] = field(default_factory=set)  # namespaces this plan creates
    doomed: set[str] = field(default_factory=set)  # namespaces this plan deletes
    recreated: set[tuple[str | None, str]] = field(default_factory=set)  # links this plan (re)creates
    going_down: set[tuple[str | None, str]] = field(default_factory=set)  # links this plan sets down (IPv6 flushed)
    v4_removed: set[str | None] = field(default_factory=set)  # namespaces where an IPv4 address goes (routes flushed)
    foreign_ns: set[str] = field(default_factory=set)  # namespaces the file names, made by others, not adopted
    foreign_links: set[str] = field(default_factory=set)  # root-namespace links likewise
    refused: set[tuple[str | None, str | None]] = field(default_factory=set)  # devices of another kind in the way
    foreign_diffs: dict[tuple[str | None, str], list[str]] = field(default_factory=dict)  # how such objects differ
    unmanaged: list[Unmanaged] = field(default_factory=list)  # other unmanaged objects in sync (routes, hosts entries)

    def add(self, op: Op, change: Change, netns: str | None, target: str, payload: Payload = None,
            before: str | None = None, after: str | None = None) -> None:
        action = Action(op, change, netns, target, payload, before, after)
        places = _places(netns, payload)
        if any(place in self.refused for place in places):
            return  # a device of another kind in the way: its conflict is reported already
        subject = self.foreign_subject(places)
        if subject is not None:  # never changed: the difference is reported as a conflict
            self.foreign_diffs.setdefault(subject, []).append(action.describe())
        else:
            self.actions.append(action)

    def foreign_subject(self, places: list[tuple[str | None, str | None]]) -> tuple[str | None, str] | None:
        """The foreign object (not the lab's, not adopted) an action at `places` would change, if any."""
        for ns, ifname in places:
            if ns is not None and ns in self.foreign_ns:
                return ns, f"namespace {ns}"
            if ns is None and ifname is not None and ifname in self.foreign_links:
                return None, f"link {ifname}"
        return None

    def in_scope(self, netns: str | None) -> bool:
        """Whether the namespace's insides are compared with the file: the root namespace, the
        lab's namespaces, and foreign ones (whose differences are conflicts)."""
        return netns is None or netns in self.record.namespaces or netns in self.foreign_ns

    def foreign_link(self, netns: str | None, name: str) -> bool:
        return netns in self.foreign_ns if netns is not None else name in self.foreign_links

    def conflict(self, netns: str | None, target: str, message: str, hint: str) -> None:
        self.conflicts.append(Conflict(netns, target, message, hint))

    def live_ns(self, netns: str | None) -> LiveNetns | None:
        if netns in self.fresh:
            return None
        return self.live.netns(netns)

    # ---- namespaces ---------------------------------------------------------------------
    def not_the_labs(self, name: str) -> bool:
        """A namespace the record names that is not the one the lab made: another identity than
        the record knows, or (identity unknown: an older record, an interrupted run) links that
        are not the lab's. It is never changed or deleted; the record forgets it."""
        live = self.live.namespaces.get(name)
        if live is None:
            return False
        known = self.record.netns_ids.get(name)
        if known is not None:
            return known != live.inode
        lo = live.links.get("lo")
        if lo is not None and lo.alias == self.alias:
            return False  # topo marks the lo of every namespace it creates (its links may not be marked yet)
        others = [link for ifname, link in live.links.items() if link.kind != "loopback" and ifname not in FALLBACK_DEVICES]
        if any(link.alias != self.alias for link in others):
            return True
        # the first release's records know no identities, and its namespaces have no lo mark
        return self.record.version >= 2 and not others

    def namespaces(self) -> None:
        owned = set(self.record.namespaces)
        for name in sorted(n for n in owned if self.not_the_labs(n)):
            owned.discard(name)
            self.record.namespaces.remove(name)
            self.record.netns_ids.pop(name, None)
            self.unmanaged.append(Unmanaged(name, f"namespace {name} (named by the lab's record, but not the lab's: kept)"))
        for name in sorted(owned & self.live.unpinned):  # an empty file: remove it, then (re)create
            self.add(Op.DELETE_NETNS, Change.DELETE, name, f"namespace {name} (unpinned file)")
        for name in sorted(self.node.namespaces):
            if name not in self.live.existing or name in owned & self.live.unpinned:
                self.add(Op.CREATE_NETNS, Change.CREATE, name, f"namespace {name}")
                self.fresh.add(name)
                owned.add(name)
            elif name not in owned:
                if self.adopt:
                    self.add(Op.ADOPT_NETNS, Change.UPDATE, name, f"namespace {name}", before="not the lab's", after=f"lab {self.topo.name}")
                    owned.add(name)
                else:
                    self.foreign_ns.add(name)
        for name in sorted(owned - set(self.node.namespaces)):
            if name in self.live.existing and name not in self.live.unpinned:
                self.add(Op.DELETE_NETNS, Change.DELETE, name, f"namespace {name}")
                self.doomed.add(name)
            owned.discard(name)
        self.record.namespaces = sorted(owned)

    # ---- links --------------------------------------------------------------------------
    def owned_link(self, netns: str | None, link: LiveLink) -> bool:
        return netns is not None or link.alias == self.alias

    def links(self) -> None:
        conflicted = False
        for ns in self.node.all_netns():
            name = ns.place.netns
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            # bridges
            for iface in ns.interfaces.values():
                if iface.kind != Kind.BRIDGE:
                    continue
                link = live.links.get(iface.name) if live else None
                if link is None:
                    self.add(Op.CREATE_BRIDGE, Change.CREATE, name, f"bridge {iface.name}",
                             LinkSpec(iface.name, iface.mtu, iface.mac, iface.up, alias=self.alias), after=_link_summary(iface))
                    self.recreated.add((name, iface.name))
                elif not self.claim(name, link, "bridge"):
                    conflicted = True
            for iface in ns.interfaces.values():
                if iface.kind == Kind.VXLAN:
                    conflicted |= self.vxlan(name, iface, live.links.get(iface.name) if live else None)
            # extra links inside lab namespaces, or the lab's links no longer in the file
            if live is not None:
                vanishing = self.vanishing() if name is None else set()
                for link in live.links.values():
                    if link.name in ns.interfaces or link.name == "lo":
                        continue
                    if self.owned_link(name, link):
                        self.add(Op.DELETE_LINK, Change.DELETE, name, f"link {link.name} ({link.kind or 'device'})",
                                 LinkSpec(link.name, vanishes=link.index in vanishing), before=f"{link.kind} {link.name}")
        for pair in self.topo.veths:
            if pair.a.place.node == self.node.name:
                conflicted |= self.veth(pair.a, pair.b)
        if conflicted:
            return

    def vxlan(self, netns: str | None, iface: Interface, link: LiveLink | None) -> bool:
        """Create a VXLAN device, or recreate it when its identity (VNI, port, local) changed.
        True on a conflict."""
        v = iface.vxlan
        assert v is not None
        if link is not None:
            if self.claim(netns, link, "vxlan"):
                if link.vxlan == (v.vni, v.port, v.local):
                    return False
                self.add(Op.DELETE_LINK, Change.DELETE, netns, f"link {link.name} (vxlan, changed identity)", LinkSpec(link.name),
                         before=f"vni {link.vxlan[0] if link.vxlan else '?'}")
            elif not self.owned_link(netns, link):
                return True
        self.add(Op.CREATE_VXLAN, Change.CREATE, netns, f"vxlan {iface.name}",
                 VxlanSpec(LinkSpec(iface.name, iface.mtu, iface.mac, iface.up, iface.master, alias=self.alias), v),
                 after=f"{_link_summary(iface)} vni {v.vni} port {v.port} local {v.local}")
        self.recreated.add((netns, iface.name))
        return False

    def vanishing(self) -> set[int]:
        """Root-namespace veth ends whose peer is in a namespace this plan deletes."""
        nsids = {ns.nsid for name in self.doomed if (ns := self.live.namespaces.get(name)) is not None and ns.nsid is not None}
        return {link.index for link in self.live.root.links.values()
                if link.kind == "veth" and link.peer_netnsid is not None and link.peer_netnsid in nsids}

    def claim(self, netns: str | None, link: LiveLink, kind: str) -> bool:
        """True when `link` may be used as the lab's `kind` link (owned, or adopted)."""
        if self.owned_link(netns, link):
            if link.kind != kind:
                self.add(Op.DELETE_LINK, Change.DELETE, netns, f"link {link.name} ({link.kind or 'device'}, want {kind})",
                         LinkSpec(link.name))
                return False
            return True
        if self.adopt and link.kind == kind:
            return True  # link_settings marks it with the lab's alias
        if link.kind == kind:
            self.foreign_links.add(link.name)  # compared, never changed
            return True
        self.refused.add((netns, link.name))
        self.conflict(netns, f"link {link.name}", f"{link.kind or 'a device'} {link.name} exists and was not created by lab {self.topo.name}",
                      "rename it in the file, delete it, or pass --adopt to take it over")
        return False

    def veth(self, a: EndRef, b: EndRef) -> bool:
        ia, ib = self.topo.interface(a), self.topo.interface(b)
        la = self.live_link(a)
        lb = self.live_link(b)
        label = f"veth {_end(a)} <-> {_end(b)}"
        for end, link in ((a, la), (b, lb)):
            # another's end: a veth is compared (or adopted), anything else is a conflict;
            # the lab's own ends of the wrong kind are replaced below (not paired)
            if link is not None and not self.owned_link(end.place.netns, link) and not self.claim(end.place.netns, link, "veth"):
                return True
        paired = (la is not None and lb is not None and la.kind == "veth" and lb.kind == "veth"
                  and la.peer_index == lb.index and lb.peer_index == la.index)
        if not paired:
            for end, link in ((a, la), (b, lb)):
                if link is not None:
                    self.add(Op.DELETE_LINK, Change.DELETE, end.place.netns, f"link {link.name} ({link.kind or 'device'}, broken pair)",
                             LinkSpec(link.name))
            self.add(Op.CREATE_VETH, Change.CREATE, a.place.netns, label,
                     VethSpec(a.place.netns, a.ifname, b.place.netns, b.ifname,
                              LinkSpec(ia.name, ia.mtu, ia.mac, ia.up, ia.master, alias=self.alias),
                              LinkSpec(ib.name, ib.mtu, ib.mac, ib.up, ib.master, alias=self.alias)),
                     after=f"{_link_summary(ia)} / {_link_summary(ib)}")
            self.recreated.add((a.place.netns, a.ifname))
            self.recreated.add((b.place.netns, b.ifname))
            return False
        for end, iface, link in ((a, ia, la), (b, ib, lb)):
            assert link is not None
            self.link_settings(end.place.netns, iface, link)
        return False

    def live_link(self, end: EndRef) -> LiveLink | None:
        live = self.live_ns(end.place.netns)
        return live.links.get(end.ifname) if live else None

    def link_settings(self, netns: str | None, iface: Interface, link: LiveLink) -> None:
        before: list[str] = []
        after: list[str] = []
        spec: dict[str, object] = {}
        if iface.mtu is not None and link.mtu != iface.mtu:
            spec["mtu"] = iface.mtu
            before.append(f"mtu {link.mtu}")
            after.append(f"mtu {iface.mtu}")
        elif iface.mtu is not None and iface.kind == Kind.BRIDGE and self.ports_leave(netns, iface.name):
            # the MTU is the kernel's, taken from its ports: set it, or the kernel resets it to
            # 1500 when the last of them leaves (br_mtu_auto_adjust spares a chosen MTU only)
            spec["mtu"] = iface.mtu
            before.append(f"mtu {link.mtu} (from its ports)")
            after.append(f"mtu {iface.mtu} (kept when they leave)")
        if iface.mac is not None and link.mac != iface.mac:
            spec["mac"] = iface.mac
            before.append(f"mac {link.mac}")
            after.append(f"mac {iface.mac}")
        if link.up != iface.up:
            spec["up"] = iface.up
            if not iface.up:
                self.going_down.add((netns, iface.name))
            before.append("up" if link.up else "down")
            after.append("up" if iface.up else "down")
        if link.master != iface.master:
            if iface.master is None:
                spec["nomaster"] = True
            else:
                spec["master"] = iface.master
            before.append(f"master {link.master or '(none)'}")
            after.append(f"master {iface.master or '(none)'}")
        if link.alias != self.alias and iface.kind != Kind.LOOPBACK and not self.foreign_link(netns, iface.name):
            spec["alias"] = self.alias
            before.append(f"alias {link.alias or '(none)'}")
            after.append(f"alias {self.alias}")
        if before:
            self.add(Op.SET_LINK, Change.UPDATE, netns, f"link {iface.name}", LinkSpec(iface.name, **spec),  # type: ignore[arg-type]
                     before=", ".join(before), after=", ".join(after))

    def ports_leave(self, netns: str | None, bridge: str) -> bool:
        """Whether a port the bridge has now is not among the ports the file gives it."""
        live = self.live_ns(netns)
        kept = {i.name for ns in self.node.all_netns() if ns.place.netns == netns
                for i in ns.interfaces.values() if i.master == bridge and (netns, i.name) not in self.recreated}
        return live is not None and any(link.master == bridge and name not in kept for name, link in live.links.items())

    def settings_of_existing(self) -> None:
        """Bridges and loopbacks: settings of the ones that exist and stay."""
        for ns in self.node.all_netns():
            name = ns.place.netns
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            for iface in ns.interfaces.values():
                if iface.kind == Kind.VETH or (name, iface.name) in self.recreated:
                    continue
                link = live.links.get(iface.name) if live else None
                if iface.kind == Kind.LOOPBACK and link is None:
                    continue  # fresh namespace: lo exists once it is created
                if link is not None and (iface.kind == Kind.LOOPBACK or self.owned_link(name, link) or self.adopt
                                         or self.foreign_link(name, link.name)):
                    self.link_settings(name, iface, link)
            if name in self.fresh:
                lo = ns.interfaces.get("lo")
                if lo is not None and lo.up:
                    self.add(Op.SET_LINK, Change.UPDATE, name, "link lo", LinkSpec("lo", up=True), before="down", after="up")

    # ---- addresses -----------------------------------------------------------------------
    def addresses(self) -> None:
        for ns in self.node.all_netns():
            name = ns.place.netns
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            for iface in ns.interfaces.values():
                fresh = live is None or (name, iface.name) in self.recreated or iface.name not in live.links
                have = set() if fresh else {a for a in live.addresses.get(iface.name, set()) if not _auto_address(iface.name, a)}  # type: ignore[union-attr]
                if (name, iface.name) in self.going_down:
                    have = {a for a in have if a.version == 4}  # the kernel flushes IPv6 addresses of a link set down
                want = set(iface.addresses)
                gone = sorted(have - want, key=str)
                for addr in gone:
                    self.add(Op.DELETE_ADDRESS, Change.DELETE, name, f"address {addr} on {iface.name}", AddressSpec(iface.name, addr), before=str(addr))
                for addr in sorted(want - have, key=str):
                    self.add(Op.ADD_ADDRESS, Change.CREATE, name, f"address {addr} on {iface.name}", AddressSpec(iface.name, addr), after=str(addr))
                v4_gone = [a for a in gone if a.version == 4]
                if v4_gone:
                    self.v4_removed.add(name)
                    # deleting a primary IPv4 address deletes its secondaries too: add back the kept ones
                    for addr in sorted(have & want, key=str):
                        if addr.version == 4 and any(addr.network == g.network for g in v4_gone):
                            self.add(Op.ADD_ADDRESS, Change.UPDATE, name, f"address {addr} on {iface.name}",
                                     AddressSpec(iface.name, addr, again=True), before="dropped with a removed address",
                                     after=str(addr))

    # ---- VXLAN forwarding entries ----------------------------------------------------------
    def fdb(self) -> None:
        root = self.node.root
        live = self.live_ns(None)
        for iface in root.interfaces.values():
            if iface.vxlan is None:
                continue
            fresh = live is None or (None, iface.name) in self.recreated or iface.name not in live.links
            have = set() if fresh else live.fdb.get(iface.name, set())  # type: ignore[union-attr]
            want = set(iface.vxlan.remotes)
            for remote in sorted(have - want, key=str):
                self.add(Op.DELETE_FDB, Change.DELETE, None, f"vxlan {iface.name} remote {remote}", FdbSpec(iface.name, remote),
                         before=str(remote))
            for remote in sorted(want - have, key=str):
                self.add(Op.ADD_FDB, Change.CREATE, None, f"vxlan {iface.name} remote {remote}", FdbSpec(iface.name, remote),
                         after=str(remote))

    # ---- routes --------------------------------------------------------------------------
    def routes(self) -> None:
        recorded = set(self.record.root_routes)
        for ns in self.node.all_netns():
            name = ns.place.netns
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            have: dict[str, LiveRoute] = {}
            others: dict[str, LiveRoute] = {}  # the root namespace's routes that are not the lab's
            foreign: set[str] = set()
            for r in (live.routes if live else []):
                key = route_key(name, r)
                if name is None:
                    if r.proto == RTPROT_TOPO and key in recorded and r.type == RTN_UNICAST:
                        have[key] = r
                    else:
                        others.setdefault(key, r)  # any type: a blackhole at the key is in the way too
                elif r.proto != RTPROT_KERNEL and r.type == RTN_UNICAST:
                    have[key] = r
            want = {route_key(name, r): r for r in ns.routes}
            for key, route in want.items():
                cur = have.get(key)
                if cur is not None and name in self.v4_removed and route.dst.version == 4:
                    # the kernel may flush IPv4 routes when an address goes: set them again (replace)
                    self.add(Op.SET_ROUTE, Change.UPDATE, name, _route_target(route), RouteSpec(route, replace=True),
                             before="flushed with a removed address", after=route.describe())
                    continue
                other = others.get(key) if cur is None else None
                if other is not None:
                    self.foreign_route(route, other)
                    if not self.adopt:
                        foreign.add(key)  # not the lab's: never recorded
                    continue
                if cur is None:
                    self.add(Op.SET_ROUTE, Change.CREATE, name, f"route {route.describe()}", RouteSpec(route), after=route.describe())
                elif not _route_matches(route, cur):
                    self.add(Op.SET_ROUTE, Change.UPDATE, name, _route_target(route), RouteSpec(route, replace=True),
                             before=_live_route_text(cur), after=route.describe())
            for key, cur in have.items():
                if key not in want:
                    self.add(Op.DELETE_ROUTE, Change.DELETE, name, f"route {_live_route_text(cur)}",
                             RouteSpec(_as_route(cur)), before=_live_route_text(cur))
            if name is None:
                # keys whose route is another's now are no longer the lab's
                recorded = (recorded - set(have) - set(others)) | (set(want) - foreign)
        self.record.root_routes = sorted(recorded)

    def foreign_route(self, route: Route, other: LiveRoute) -> None:
        """A root-namespace route the file names that exists, made by another tool (or lab)."""
        target = _route_target(route)
        if self.adopt:
            self.add(Op.SET_ROUTE, Change.UPDATE, None, target, RouteSpec(route, replace=True),
                     before=f"{_live_route_text(other)} (not the lab's)", after=route.describe())
        elif _route_matches(route, other):
            self.unmanaged.append(Unmanaged(None, f"route {route.describe()}"))
        else:
            self.foreign_diffs.setdefault((None, target), []).append(f"~ {target}: {_live_route_text(other)} -> {route.describe()}")

    # ---- sysctls -------------------------------------------------------------------------
    def sysctls(self) -> None:
        originals = dict(self.record.sysctls)
        root: list[tuple[str, str, str | None, str]] = []
        for ns in self.node.all_netns():
            name = ns.place.netns
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            wanted = []
            for key, value in ns.sysctls.items():
                cur = _norm_sysctl(live.sysctls.get(key)) if live else None
                wanted.append((key, value, cur, value))
                if name is None and key not in originals:
                    # a knob the kernel set when the lab switched forwarding: restoring the
                    # switch restores it, so there is nothing of its own to restore
                    originals[key] = None if self.switched_by_lab(key, originals) else cur
            if name is None:
                root = wanted
            else:
                self.set_sysctls(name, wanted)
        for key in sorted(set(originals) - set(self.node.root.sysctls)):
            original = originals.pop(key)
            if original is not None:
                root.append((key, original, _norm_sysctl(self.live.root.sysctls.get(key)), f"{original} (restored)"))
        self.set_sysctls(None, root)  # declared and restored together: a restored switch goes first too
        self.record.sysctls = originals

    def switched_by_lab(self, key: str, originals: dict[str, str | None]) -> bool:
        """Whether `key` is a knob the kernel rewrites with forwarding and the lab has switched
        forwarding of its family on this node (the switch's live value is not its original)."""
        family = key.split(".")[1]
        return _rewritten_with_forwarding(key) and any(
            switch in originals and originals[switch] is not None
            and _norm_sysctl(self.live.root.sysctls.get(switch)) != _norm_sysctl(originals[switch])
            for switch in _FORWARDING_SWITCHES if switch.split(".")[1] == family)

    def set_sysctls(self, netns: str | None, items: list[tuple[str, str, str | None, str]]) -> None:
        """(key, value, current, shown) -> the writes that make them hold. Forwarding switches
        go first, since switching one makes the kernel rewrite other knobs of its family (IPv4:
        every conf.*.forwarding and conf.all.accept_redirects; IPv6: every conf.*.forwarding):
        those are written again after it even when they hold now."""
        switched: set[str] = set()
        for key, value, cur, shown in sorted(items, key=lambda item: (item[0] not in _FORWARDING_SWITCHES, item[0])):
            family = key.split(".")[1] if key.count(".") else ""
            if cur != _norm_sysctl(value):
                self.add(Op.SET_SYSCTL, Change.UPDATE if cur is not None else Change.CREATE, netns, f"sysctl {key}",
                         SysctlSpec(key, value), before=cur, after=shown)
                if key in _FORWARDING_SWITCHES:
                    switched.add(family)
            elif family in switched and _rewritten_with_forwarding(key):
                self.add(Op.SET_SYSCTL, Change.UPDATE, netns, f"sysctl {key}", SysctlSpec(key, value),
                         before="rewritten by the kernel when forwarding is switched", after=shown)

    # ---- processes -----------------------------------------------------------------------
    def processes(self) -> None:
        """Start what should run and does not; stop what runs and should not (or runs an old
        command, or in a namespace that was replaced). Stops come first, starts last."""
        want = {(name, p.name): p for name, ns in self.node.namespaces.items() if self.in_scope(name)
                for p in ns.processes.values()}
        for key, cur in sorted(self.live.processes.items()):
            proc = want.get(key)
            netns, pname = key
            stale = (proc is None or not cur.in_place or netns in self.fresh or netns in self.doomed
                     or _process_changed(proc, cur))
            if stale or not cur.alive:
                self.add(Op.STOP_PROCESS, Change.DELETE if proc is None else Change.UPDATE, netns, f"process {pname}",
                         ProcessSpec(pname), before=f"pid {cur.record.pid}" + ("" if cur.alive else " (dead)"),
                         after=None if proc is None else "restart")
        for key, proc in sorted(want.items()):
            cur = self.live.processes.get(key)
            running = cur is not None and cur.alive and cur.in_place and key[0] not in self.fresh
            changed = cur is not None and _process_changed(proc, cur)
            if (missing := user_missing(proc.user)) is not None:
                self.conflict(key[0], f"process {proc.name}", f"process {proc.name}: {missing}",
                              "create the user on the node, or leave out `user:` to run the process as root")
            if not running or changed:
                before = None if cur is None else ("dead" if not cur.alive else "old command" if changed else "elsewhere")
                self.add(Op.START_PROCESS, Change.CREATE if cur is None else Change.UPDATE, key[0], f"process {proc.name}",
                         ProcessSpec(proc.name, proc), before=before, after=proc.command)

    # ---- hosts files ---------------------------------------------------------------------
    def hosts(self) -> None:
        for name, ns in sorted(self.node.namespaces.items()):
            if not self.in_scope(name):
                continue
            live = self.live_ns(name)
            if name in self.foreign_ns and live is not None:
                # another tool's namespace: its entries count, not topo's header and layout
                if (parse_entries(live.hosts)[0] if live.hosts is not None else {}) == ns.hosts:
                    continue
            want = render_netns_hosts(self.topo.name, ns.hosts)
            if live is None or live.hosts != want:
                self.add(Op.WRITE_HOSTS, Change.CREATE if live is None or live.hosts is None else Change.UPDATE, name,
                         f"hosts file /etc/netns/{name}/hosts", HostsSpec(want),
                         before=None if live is None or live.hosts is None else "edited", after=_entries(len(ns.hosts)))
        body = render_block_body(self.node.root.hosts) if self.node.root.hosts else None
        if self.live.root.hosts is None and body is not None and all(
                self.live.node_hosts.get(name) == addrs for name, addrs in self.node.root.hosts.items()):
            # every entry is in /etc/hosts already (the user's lines, another lab's block): leave it
            self.unmanaged.append(Unmanaged(None, f"/etc/hosts entries {', '.join(sorted(self.node.root.hosts))}"))
        elif self.live.root.hosts != body:
            change = Change.DELETE if body is None else (Change.CREATE if self.live.root.hosts is None else Change.UPDATE)
            self.add(Op.WRITE_HOSTS if body is not None else Op.REMOVE_HOSTS, change, None,
                     f"/etc/hosts block of lab {self.topo.name}", HostsSpec(body),
                     before=None if self.live.root.hosts is None else "edited" if body else "present",
                     after=_entries(len(self.node.root.hosts)) if body else None)


    def foreign_outcome(self) -> tuple[list[Conflict], list[Unmanaged]]:
        """Foreign objects: each one that differs from the file is a conflict naming how; the
        others are unmanaged and in sync."""
        conflicts = []
        for (netns, target), diffs in self.foreign_diffs.items():
            shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
            conflicts.append(Conflict(netns, target, f"{target} exists and was not created by lab {self.topo.name}; "
                                      f"to match the file it would need: {shown}",
                                      "topo changes only what it created: make the file say what is there (topo capture "
                                      "writes it), delete or rename the object, or pass --adopt to take it over"))
        subjects = ([(name, f"namespace {name}") for name in sorted(self.foreign_ns)]
                    + [(None, f"link {name}") for name in sorted(self.foreign_links)])
        unmanaged = [Unmanaged(n, t) for n, t in subjects if (n, t) not in self.foreign_diffs] + self.unmanaged
        return conflicts, unmanaged


def _places(netns: str | None, payload: Payload) -> list[tuple[str | None, str | None]]:
    """(namespace, device) pairs an action touches: both ends of a veth, else its own."""
    if isinstance(payload, VethSpec):
        return [(payload.a_netns, payload.a_name), (payload.b_netns, payload.b_name)]
    return [(netns, _ifname(payload))]


def _ifname(payload: Payload) -> str | None:
    """The link an action's payload is about, if it is about one."""
    if isinstance(payload, LinkSpec):
        return payload.name
    if isinstance(payload, VxlanSpec):
        return payload.link.name
    if isinstance(payload, (AddressSpec, FdbSpec)):
        return payload.ifname
    return None


def _process_changed(proc: Process, cur: LiveProcess) -> bool:
    """The running process was started with another command, environment or user."""
    return (cur.record.command != proc.command or [list(e) for e in proc.env] != cur.record.env
            or cur.record.user != proc.user)


def _entries(n: int) -> str:
    return "localhost lines only" if n == 0 else f"{n} entr{'y' if n == 1 else 'ies'}"


def _route_target(route: Route) -> str:
    """A route's name in a plan: its destination, and its metric when it has one (two routes
    to one destination differ by metric)."""
    return f"route {_dst(route)}" + (f" metric {route.metric}" if route.metric is not None else "")


def _dst(route: Route) -> str:
    return "default" if route.is_default else str(route.dst)


def _route_matches(want: Route, have: LiveRoute) -> bool:
    if have.type != RTN_UNICAST or want.via != have.via or want.onlink != have.onlink:
        return False
    if want.dev is not None and want.dev != have.dev:
        return False
    if want.src != have.src:
        return False
    return True


def _as_route(r: LiveRoute) -> Route:
    metric = None if r.metric == kernel_default_metric(r.dst) else r.metric
    return Route(r.dst, r.via, r.dev, metric, r.onlink, r.src)


_ROUTE_TYPES = {2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable",
                8: "prohibit", 9: "throw", 10: "nat"}


def _live_route_text(r: LiveRoute) -> str:
    text = _as_route(r).describe()
    return text if r.type == RTN_UNICAST else f"{_ROUTE_TYPES.get(r.type, f'type {r.type}')} {text}"


def _end(end: EndRef) -> str:
    return f"{end.place.netns or '(root)'}:{end.ifname}"


def _link_summary(iface: Interface) -> str:
    parts = [iface.name]
    if iface.mtu:
        parts.append(f"mtu {iface.mtu}")
    if iface.master:
        parts.append(f"master {iface.master}")
    if iface.mac:
        parts.append(f"mac {iface.mac}")
    return " ".join(parts)


def make_plan(topo: Topology, node_name: str, live: LiveState, record: LabRecord | None, adopt: bool = False) -> Plan:
    """Everything to do so that node `node_name` matches `topo`."""
    node = topo.nodes[node_name]
    rec = record.copy() if record is not None else LabRecord(topo.name, node_name)
    d = _Differ(topo, node, live, rec, adopt, alias_for(topo.name))
    d.namespaces()
    d.links()
    d.settings_of_existing()
    d.addresses()
    d.fdb()
    d.routes()
    d.sysctls()
    d.hosts()
    d.processes()
    actions = _dedupe(d.actions)
    actions.sort(key=lambda a: PHASE[a.op])
    conflicts, unmanaged = d.foreign_outcome()
    return Plan(topo.name, node_name, actions, d.conflicts + conflicts, rec, unmanaged)


def _dedupe(actions: Iterable[Action]) -> list[Action]:
    seen: set[tuple[Op, str | None, str]] = set()
    out = []
    for a in actions:
        key = (a.op, a.netns, a.target)
        if a.op is Op.DELETE_LINK:
            key = (a.op, a.netns, a.target.split(" ")[1])
        if key in seen:
            continue
        seen.add(key)
        out.append(a)
    return out


def empty_topology(lab: str, node: str) -> Topology:
    """The desired state of a destroyed lab: nothing."""
    from .model import Node, Place

    return Topology(lab, {node: Node(node, Netns(Place(node)))})
