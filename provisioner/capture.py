"""`topo capture`: the live network of this machine as a topology file that reproduces it.

Read only: namespaces are entered in process (`NetnsPool`, which never creates one), links,
addresses and routes come from netlink dumps, the peer of a veth is looked up with
RTM_GETNSID (which assigns nothing), sysctls and hosts files are read. The only write is the
output file.

What is captured (the same rules are repeated in the file's header):
- namespaces: every one under /run/netns (or those named with --netns), each with its veth
  ends (addresses without the kernel's IPv6 link-local ones, MTU when not the default, MAC,
  up/down), `lo` only where it differs from topo's default (up, no extra address), routes,
  sysctls and hosts entries;
- the root namespace (unless --no-include-root): its bridges (addresses, MTU, MAC, state) and
  the veth ends whose peer is a captured namespace or the root namespace itself; with --netns
  only the bridges that have a captured port;
- veth pairs: a veth's IFLA_LINK is its peer's ifindex in the peer's namespace and its
  IFLA_LINK_NETNSID names that namespace by an id relative to the namespace that reported
  it; ifindexes repeat across namespaces, so the id is resolved by asking the reporting
  namespace for the id of every candidate namespace (RTM_GETNSID with NETNSA_FD), and the
  peer must point back. Kernels without RTM_GETNSID: the pair is found by its two
  (ifindex, peer ifindex) sides, and an ambiguous match is an error;
- routes: the main table's unicast routes except the kernel's own (proto kernel, proto ra),
  each with its device; in the root namespace only the routes whose device is a captured
  bridge or veth end: the node's other routes (its uplink's default route, DHCP routes ...)
  are the machine's, not the lab's;
- sysctls: net.ipv4.ip_forward and net.ipv6.conf.all.forwarding where they are 1;
- hosts: /etc/netns/NS/hosts without the standard localhost lines; for the root namespace
  the entries in topo's marked blocks of /etc/hosts (the user's own lines are not a lab's).
What topo does not model (other link kinds such as vxlan, dummy, tun, macvlan; bridges inside
namespaces; multipath and non-unicast routes; veths whose peer has no name under /run/netns)
is left out with a warning, on stderr and in the file's header.

On the machine it was captured from, every object the file names exists exactly so, made by
another tool (or lab): `topo plan FILE` shows no changes and lists them as unmanaged (topo
leaves them alone, destroy keeps them); a difference made later is a conflict naming it.
`topo plan --adopt FILE` lists only taking them over, never a change to them: adopt-namespace
for each namespace, a `set-link` whose only change is topo's alias mark on each link, a topo
hosts file for each namespace, and each root-namespace route rewritten with topo's protocol
number. No namespace, link, address or sysctl is created, changed or deleted. An interface
topo does not model inside a captured namespace makes the plan a conflict (and would be
deleted by `apply --adopt`: a lab's namespace holds only what its file says): the warning names it.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import socket
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from .desired import valid_ifname, valid_nsname
from .names import printable
from .dump import dump_yaml, escape_template
from .hostsfile import netns_hosts_path, parse_entries
from .live import read_sysctl, route_destination
from .rtnl import RT_TABLE_MAIN, RTN_UNICAST, RTNH_F_ONLINK, RTPROT_KERNEL
from .model import (
    IMPLICIT_NODE,
    EndRef,
    Interface,
    IPAddress,
    IPInterface,
    Kind,
    Netns,
    Node,
    Place,
    Route,
    Topology,
    kernel_default_metric,
    VethPair,
)
from .netns import NetnsError, NetnsPool, list_netns
from .roots import Roots
from .rtnl import NetlinkError, RawLink, RawRoute, nsid_of

RTPROT_RA = 9
NOT_NAMED = " (not named with --netns)"
CAPTURED_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
"""Captured where their value is 1 (a new namespace has them at 0 unless the machine's own is 1)."""
DEFAULT_MTU = {"veth": 1500, "bridge": 1500, "loopback": 65536}
FALLBACK_TUNNELS = frozenset({
    ("ipip", "tunl0"), ("gre", "gre0"), ("gretap", "gretap0"), ("erspan", "erspan0"), ("sit", "sit0"),
    ("ip6tnl", "ip6tnl0"), ("ip6gre", "ip6gre0"), ("vti", "ip_vti0"), ("vti6", "ip6_vti0"), ("ip6erspan", "ip6erspan0"),
})
"""Devices the kernel adds to every namespace once a tunnel module is loaded: nobody's lab."""
_AUTO_LO = (ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128"))
_TOPO_BLOCK = re.compile(r"^# BEGIN topo lab (\S+) \(managed by topo; do not edit[^)]*\)\n(.*?)^# END topo lab \1\n",
                         re.M | re.S)

NsName = str | None  # None: the node's root namespace


class CaptureError(Exception):
    """The machine's state cannot be captured (the message says why)."""


@dataclass
class _Live:
    """One namespace as read: links by ifindex, addresses by ifindex, routes."""

    name: NsName
    links: dict[int, RawLink]
    addresses: dict[int, list[IPInterface]]
    routes: list[RawRoute]


@dataclass
class Capture:
    """What `capture` found: the model, and what it left out (and why)."""

    topology: Topology
    namespaces: list[str]
    include_root: bool
    selected: bool  # --netns named the namespaces
    when: datetime
    skipped: list[str] = field(default_factory=list)  # exists, but topo cannot model it: warnings
    left_out: list[str] = field(default_factory=list)  # not the lab's by the rules or options

    @property
    def counts(self) -> dict[str, int]:
        topo = self.topology
        return {
            "namespaces": sum(len(n.namespaces) for n in topo.nodes.values()),
            "bridges": sum(1 for _ in topo.bridges()),
            "veth pairs": len(topo.veths),
            "routes": sum(len(ns.routes) for ns in topo.all_netns()),
        }

    def summary(self) -> str:
        """`2 namespaces, 1 bridge, 2 veth pairs, 2 routes`."""
        return ", ".join(f"{n} {k if n != 1 else k.replace('pairs', 'pair').rstrip('s')}" for k, n in self.counts.items())


def _where(ns: NsName) -> str:
    return "the root namespace" if ns is None else f"namespace {ns}"


def _kind(link: RawLink) -> str:
    return link.kind or ("loopback" if link.name == "lo" else "")


def _describe(link: RawLink) -> str:
    return f"{_kind(link) or 'device'} {link.name}"


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


class _Capturer:
    def __init__(self, pool: NetnsPool, lab: str, selected: list[str], all_names: list[str], include_root: bool,
                 macs: bool, named: bool):
        self.pool = pool
        self.lab = lab
        self.include_root = include_root
        self.macs = macs
        self.named = named
        self.skipped: list[str] = []
        self.left_out: list[str] = []
        self.live: dict[NsName, _Live] = {}
        self.captured: list[str] = []  # namespaces in the file
        self.candidates: list[NsName] = [None]  # every namespace a peer may be in (unique)
        self.nsids: dict[NsName, dict[int, NsName] | None] = {}
        self.asked: dict[NsName, set[NsName]] = {}
        self.fds: dict[NsName, int] = {}
        seen = {_identity("/proc/thread-self/ns/net"): "the root namespace"}
        for name in all_names:
            try:
                ident = _identity(str(pool.path(name)))
            except OSError:
                continue
            if ident in seen:
                if name in selected:
                    self.skipped.append(f"namespace {name}: another name of {seen[ident]}, captured as that")
                continue
            seen[ident] = name
            self.candidates.append(name)
        for name in selected:
            if name not in self.candidates:
                continue
            if err := valid_nsname(name):
                self.skipped.append(f"namespace {name!r}: {err}")
                continue
            try:
                self.live[name] = self.read(name)
            except (NetnsError, OSError) as exc:
                self.skipped.append(f"namespace {name}: cannot be entered ({exc}); not a network namespace?")
                continue
            self.captured.append(name)
        self.live[None] = self.read(None)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()

    # ---- reading ---------------------------------------------------------------------------
    def read(self, name: NsName) -> _Live:
        sock = self.pool.socket(name)
        links = {}
        for r in sock.links():
            if err := valid_ifname(r.name):  # the kernel allows names a file may not have
                self.skipped.append(f"link {printable(r.name)} in {_where(name)}: {err}")
            else:
                links[r.index] = r
        addresses: dict[int, list[IPInterface]] = {}
        for a in sock.addresses():
            addresses.setdefault(a.index, []).append(a.address)
        return _Live(name, links, addresses, sock.routes())

    def fd(self, name: NsName) -> int:
        fd = self.fds.get(name)
        if fd is None:
            fd = self.fds[name] = self.pool.fd(name)
        return fd

    def nsid_map(self, reader: NsName, wanted: int) -> dict[int, NsName] | None:
        """nsid -> namespace, as `reader` numbers them (enough to name `wanted`, if any of the
        candidates is it); None when the kernel cannot say."""
        if reader in self.nsids and self.nsids[reader] is None:
            return None
        mapping = self.nsids.setdefault(reader, {})
        assert mapping is not None
        asked = self.asked.setdefault(reader, set())
        sock = self.pool.socket(reader)
        for cand in self.candidates:
            if wanted in mapping:
                break
            if cand == reader or cand in asked:
                continue
            asked.add(cand)
            try:
                nsid = nsid_of(sock, self.fd(cand))
            except NetlinkError as exc:
                if exc.errno in (errno.EOPNOTSUPP, errno.ENOSYS):  # a kernel without RTM_GETNSID
                    self.nsids[reader] = None
                    return None
                continue  # not a namespace (a stale file under /run/netns)
            except OSError:
                continue
            if nsid is not None:
                mapping[nsid] = cand
        return mapping

    def peer(self, ns: NsName, link: RawLink) -> tuple[NsName, RawLink] | str:
        """The other end of a veth, or why it cannot be captured."""
        if link.link_netnsid is None:
            peer_ns: NsName = ns
        else:
            mapping = self.nsid_map(ns, link.link_netnsid)
            if mapping is None:
                return self.peer_by_indexes(ns, link)
            if link.link_netnsid not in mapping:
                return f"its peer is in a namespace with no name under /run/netns (nsid {link.link_netnsid} seen from {_where(ns)})"
            peer_ns = mapping[link.link_netnsid]
        live = self.live.get(peer_ns)
        if live is None:
            return f"its peer is in {_where(peer_ns)}, which is not captured" + (NOT_NAMED if self.named else "")
        other = live.links.get(link.link)
        if other is None or _kind(other) != "veth" or other.link != link.index or (other.link_netnsid is None) != (peer_ns == ns):
            return f"its peer (ifindex {link.link} in {_where(peer_ns)}) does not point back to it"
        return peer_ns, other

    def peer_by_indexes(self, ns: NsName, link: RawLink) -> tuple[NsName, RawLink] | str:
        """Without RTM_GETNSID: the veth in another read namespace whose (ifindex, peer ifindex)
        mirror this one's. Ambiguous matches are refused: ifindexes repeat across namespaces."""
        found = [(other_ns, other) for other_ns, live in self.live.items() if other_ns != ns
                 for other in live.links.values()
                 if _kind(other) == "veth" and other.link_netnsid is not None and other.index == link.link
                 and other.link == link.index]
        if len(found) > 1:
            raise CaptureError(f"veth {link.name} in {_where(ns)}: its peer could be "
                               + " or ".join(f"{o.name} in {_where(n)}" for n, o in found)
                               + " (this kernel cannot name a peer's namespace: RTM_GETNSID failed); capture fewer namespaces with --netns")
        if not found:
            return "its peer is in no captured namespace"
        return found[0]

    # ---- the model -------------------------------------------------------------------------
    def build(self) -> Topology:
        root = Netns(Place(IMPLICIT_NODE))
        nss: dict[NsName, Netns] = {name: Netns(Place(IMPLICIT_NODE, name)) for name in self.captured}
        if self.include_root:
            nss[None] = root
        ifaces: dict[tuple[NsName, int], Interface] = {}

        def make(ns: NsName, link: RawLink, kind: Kind) -> Interface:
            mtu = link.mtu if link.mtu != DEFAULT_MTU[kind] else None
            iface = Interface(link.name, kind, mtu=mtu, mac=link.mac if self.macs and kind != Kind.LOOPBACK else None,
                              up=link.up)
            ifaces[(ns, link.index)] = iface
            nss[ns].interfaces[link.name] = iface
            return iface

        # loopbacks, bridges, what topo does not model
        own_devices: list[str] = []
        root_others: list[str] = []
        for ns in [*self.captured, None]:
            live = self.live[ns]
            for link in live.links.values():
                kind = _kind(link)
                if kind == "loopback":
                    if ns is not None:
                        make(ns, link, Kind.LOOPBACK)
                elif kind == "veth":
                    continue
                elif kind == "bridge" and ns is None:
                    if self.include_root:
                        make(None, link, Kind.BRIDGE)
                elif (kind, link.name) in FALLBACK_TUNNELS:
                    continue
                elif ns is None and kind == "":
                    own_devices.append(link.name)
                elif ns is None and self.named:
                    root_others.append(link.name)  # the named namespaces' capture is not about them
                elif ns is not None or self.include_root:
                    why = ("topo models bridges in the root namespace only" if kind == "bridge"
                           else "topo models veth pairs and bridges only")
                    self.skipped.append(f"{_describe(link)} in {_where(ns)}: {why}")
        if own_devices and self.include_root:
            self.left_out.append(f"the node's own devices ({', '.join(sorted(own_devices))})")
        if root_others and self.include_root:
            self.left_out.append(f"other devices of the root namespace ({', '.join(sorted(root_others))}): "
                                 "not connected to the namespaces named with --netns")
        # veth pairs
        pairs: list[VethPair] = []
        done: set[tuple[NsName, int]] = set()
        foreign_peers = 0
        for ns in [*self.captured, None]:
            for link in self.live[ns].links.values():
                if _kind(link) != "veth" or (ns, link.index) in done:
                    continue
                found = self.peer(ns, link)
                if isinstance(found, str):
                    if ns is None and not self.include_root:
                        continue
                    if found.endswith(NOT_NAMED) or (ns is None and self.named):
                        if ns is None:
                            foreign_peers += 1
                        else:
                            self.left_out.append(f"veth {link.name} in {_where(ns)}: {found}")
                        continue
                    self.skipped.append(f"veth {link.name} in {_where(ns)}: {found}")
                    continue
                peer_ns, other = found
                done.update({(ns, link.index), (peer_ns, other.index)})
                if not self.include_root and None in (ns, peer_ns):
                    if ns is not None:
                        self.left_out.append(f"veth {link.name} in {_where(ns)} (its peer {other.name} is in the root "
                                             "namespace: --no-include-root)")
                    elif peer_ns is not None:
                        self.left_out.append(f"veth {other.name} in {_where(peer_ns)} (its peer {link.name} is in the root "
                                             "namespace: --no-include-root)")
                    continue
                if ns is None and peer_ns is None and self.named:
                    self.left_out.append(f"veth pair {link.name} <-> {other.name} in the root namespace "
                                         "(it joins none of the namespaces named with --netns)")
                    continue
                ends = []
                for end_ns, end_link in ((ns, link), (peer_ns, other)):
                    make(end_ns, end_link, Kind.VETH)
                    ends.append(EndRef(nss[end_ns].place, end_link.name))
                a, b = sorted(ends, key=lambda e: (e.place.netns is None, e.place.netns or "", e.ifname))
                ifaces_a, ifaces_b = nss[a.place.netns].interfaces[a.ifname], nss[b.place.netns].interfaces[b.ifname]
                ifaces_a.peer, ifaces_b.peer = b, a
                pairs.append(VethPair(a, b))
        if foreign_peers:
            self.left_out.append(f"{foreign_peers} veth ends of the root namespace whose peers are in none of the namespaces "
                                 "named with --netns")
        pairs.sort(key=lambda p: (p.a.place.netns is None, p.a.place.netns or "", p.a.ifname, p.b.ifname))
        # masters: a captured bridge of the same namespace
        for (ns, index), iface in ifaces.items():
            link = self.live[ns].links[index]
            if not link.master:
                continue
            master = self.live[ns].links.get(link.master)
            if master is not None and (ns, master.index) in ifaces and ifaces[(ns, master.index)].kind == Kind.BRIDGE:
                iface.master = master.name
            else:
                what = _describe(master) if master is not None else f"ifindex {link.master}"
                self.skipped.append(f"{iface.kind} {iface.name} in {_where(ns)}: its master {what} is not captured; "
                                    "written without it")
        # with --netns: only the root bridges that have a captured port
        if self.include_root and self.named:
            used = {i.master for i in root.interfaces.values() if i.master}
            for name in [n for n, i in root.interfaces.items() if i.kind == Kind.BRIDGE and n not in used]:
                del root.interfaces[name]
                self.left_out.append(f"bridge {name} (no port in the namespaces named with --netns)")
        # bridges keep an MTU their ports do not have only when it was set: write it then
        for iface in root.interfaces.values():
            if iface.kind == Kind.BRIDGE and iface.mtu is None:
                ports = [i for i in root.interfaces.values() if i.master == iface.name]
                if any(p.mtu is not None for p in ports):
                    iface.mtu = DEFAULT_MTU["bridge"]
        # addresses
        for (ns, index), iface in ifaces.items():
            addrs = [a for a in self.live[ns].addresses.get(index, [])
                     if not (a.version == 6 and a.ip.is_link_local) and not (iface.kind == Kind.LOOPBACK and a in _AUTO_LO)]
            iface.addresses = tuple(dict.fromkeys(addrs))
        # routes, sysctls, hosts
        for ns, netns in nss.items():
            netns.routes = self.routes(ns, netns, {i: f for (n, i), f in ifaces.items() if n == ns})
            with self.pool.inside(ns):
                values = {key: read_sysctl(key) for key in CAPTURED_SYSCTLS}
            netns.sysctls = {k: v for k, v in values.items() if v == "1"}
            netns.hosts = self.hosts(ns)
        nodes = {IMPLICIT_NODE: Node(IMPLICIT_NODE, root, {name: nss[name] for name in sorted(self.captured)})}
        return Topology(self.lab, nodes, pairs)

    def routes(self, ns: NsName, netns: Netns, ifaces: dict[int, Interface]) -> list[Route]:
        out: list[Route] = []
        live = self.live[ns]
        machine = 0
        for raw in live.routes:
            if raw.table != RT_TABLE_MAIN or raw.proto in (RTPROT_KERNEL, RTPROT_RA):
                continue
            dst = route_destination(raw)
            iface = ifaces.get(raw.oif) if raw.oif else None
            if ns is None and iface is None:
                machine += 1  # through the node's own devices (or none): the machine's, not the lab's
                continue
            text = f"route {dst}" + (f" via {raw.gateway}" if raw.gateway else "")
            if raw.type != RTN_UNICAST:
                self.skipped.append(f"{text} in {_where(ns)}: route type {raw.type} (blackhole, unreachable ...) "
                                    "is not modeled")
                continue
            if iface is None:
                dev = live.links[raw.oif].name if raw.oif in live.links else None
                why = f"its device {dev} is not captured" if dev else "a multipath route (topo models single paths)"
                self.skipped.append(f"{text} in {_where(ns)}: {why}")
                continue
            via = ipaddress.ip_address(raw.gateway) if raw.gateway else None
            src = ipaddress.ip_address(raw.prefsrc) if raw.prefsrc else None
            local = {a.ip for i in netns.interfaces.values() for a in i.addresses}
            if src is not None and src not in local:
                self.skipped.append(f"{text} in {_where(ns)}: source {src} is not a captured address; written without `src`")
                src = None
            onlink = bool(raw.flags & RTNH_F_ONLINK)
            if (via is not None and not onlink and not (via.version == 6 and via.is_link_local)
                    and not any(via in a.network for a in iface.addresses)):
                # a gateway reached through another route (Calico's 169.254.1.1): the kernel takes it
                # `onlink`, and the file must say so to be valid
                self.skipped.append(f"{text} in {_where(ns)}: gateway {via} is in no subnet of {iface.name}; written `onlink`")
                onlink = True
            metric = None if raw.priority == kernel_default_metric(dst) else raw.priority
            out.append(Route(dst, via, iface.name, metric, onlink, src))
        if machine:
            self.left_out.append(f"{machine} routes of the root namespace that use none of the captured interfaces "
                                 "(the node's own, e.g. via its uplink)")
        return out

    def hosts(self, ns: NsName) -> dict[str, tuple[IPAddress, ...]]:
        if ns is None:
            try:
                text = self.pool.roots.etc_hosts.read_text(errors="replace")
            except OSError:
                return {}
            return self.parse_hosts("/etc/hosts", "".join(m.group(2) for m in _TOPO_BLOCK.finditer(text)))
        path = netns_hosts_path(self.pool.roots.etc_netns, ns)
        try:
            text = path.read_text(errors="replace")
        except (FileNotFoundError, NotADirectoryError):
            return {}
        return self.parse_hosts(str(path), text)

    def parse_hosts(self, where: str, text: str) -> dict[str, tuple[IPAddress, ...]]:
        entries, bad = parse_entries(text)
        self.skipped.extend(f"{where} line {number}: '{field}' is not an IP address" for number, field in bad)
        return entries


def capture(roots: Roots, lab: str = "captured", namespaces: Iterable[str] = (), include_root: bool = True,
            macs: bool = True) -> Capture:
    """Read this machine (never changing it) and build the lab that reproduces it."""
    named = list(dict.fromkeys(namespaces))
    existing = list_netns(roots.netns_run)
    missing = [n for n in named if n not in existing]
    if missing:
        raise CaptureError(f"no namespace {', '.join(missing)} under /run/netns"
                           + (f" (there: {', '.join(existing)})" if existing else " (there is none)"))
    when = datetime.now().astimezone()
    with NetnsPool(roots) as pool:
        capturer = _Capturer(pool, lab, named or existing, existing, include_root, macs, bool(named))
        try:
            topo = capturer.build()
        finally:
            capturer.close()
    return Capture(topo, capturer.captured, include_root, bool(named), when, capturer.skipped, capturer.left_out)


def _comment(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _wrapped(text: str, first: str = "", then: str = "#   ") -> list[str]:
    return textwrap.wrap(_comment(text), width=100, initial_indent=first, subsequent_indent=then,
                         break_on_hyphens=False, break_long_words=False)


def _list(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def header(cap: Capture, schema_ref: str) -> str:
    """The file's opening comment: the modeline, what was captured and when, what was not."""
    counts = cap.counts
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        "#",
        f"# Captured by `topo capture` on {socket.gethostname()} at {cap.when.isoformat(timespec='seconds')}.",
        *_wrapped("# What: " + cap.summary() + ", from "
                  + ("the root namespace (bridges, veth ends, the routes through them) and " if cap.include_root else "")
                  + (f"the namespaces named with --netns: {_list(cap.namespaces)}" if cap.selected
                     else f"every namespace under /run/netns: {_list(cap.namespaces) or 'none'}") + "."),
        "# Rules: interfaces with their addresses (not the kernel's IPv6 link-local ones), MTU when not",
        "#   the default, MAC, state; lo only where it differs from topo's default (up). Routes of the main",
        "#   table except the kernel's own (proto kernel/ra), each with its device; in the root namespace",
        "#   only routes whose device is a captured bridge or veth end (routes via the node's uplink are",
        "#   the machine's, not the lab's). Sysctls: " + ", ".join(CAPTURED_SYSCTLS) + " where 1.",
        "#   Hosts: /etc/netns/NS/hosts without the standard localhost lines, and topo's blocks of /etc/hosts.",
    ]
    if cap.skipped:
        lines.append("# Not captured (topo does not model it; an interface of a captured namespace would be deleted by")
        lines.append("# `topo apply --adopt`, as a lab's namespace holds only what its file says):")
        lines += [line for item in cap.skipped for line in _wrapped(item, "#   - ", "#     ")]
    if cap.left_out:
        lines.append("# Left out (not the lab's):")
        lines += [line for item in cap.left_out for line in _wrapped(item, "#   - ", "#     ")]
    lines += [
        "#",
        "# On a clean machine `topo apply FILE` makes this state. On this machine `topo plan FILE` shows no",
        "# changes: the objects are there as written, made by another tool, and topo leaves them alone",
        "# (unmanaged; destroy keeps them). `topo apply --adopt FILE` takes them over (each namespace, topo's",
        "# alias mark on each link, a topo hosts file for each namespace, root routes re-marked as topo's).",
    ]
    return escape_template("\n".join(lines) + "\n")


def render(cap: Capture, schema_ref: str) -> str:
    return header(cap, schema_ref) + dump_yaml(cap.topology)
