"""`topo save`: the live network of this machine as a topology file that reproduces it.

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
- routes: the unicast routes of the main table and the other tables a lab may use except the
  kernel's own (proto kernel, proto ra), each with its device (and table number); in the root
  namespace only the routes whose device is a captured bridge or veth end: the node's other
  routes (its uplink's default route, DHCP routes ...) are the machine's, not the lab's;
- rules: each namespace's policy routing rules but the kernel's (0, 32766, 32767), the root
  namespace's only when no --netns names the namespaces (kinds/rule/capture.py);
- interface settings: the queue length when not the kernel's (1000; a tun device's 500), a
  bridge port's hairpin mode, an IPv4 address's broadcast address; a port's other settings are
  noted as dropped;
- sysctls: net.ipv4.ip_forward and net.ipv6.conf.all.forwarding where they are 1, and each
  captured interface's per-interface ones (kinds/link/capture.py) that are not its namespace's default;
- impairments: each captured interface's netem or tbf root qdisc (topo's or another tool's)
  and the random drops of topo's netdev tables, as `impair:` (kinds/impair/capture.py);
- hosts: /etc/netns/NS/hosts without the standard localhost lines; for the root namespace
  the entries in topo's marked blocks of /etc/hosts (the user's own lines are not a lab's).
What capture does not write (other link kinds such as vxlan, dummy, ifb; bridges inside
namespaces; multipath and non-unicast routes; veths whose peer has no name under /run/netns)
is left out with a warning, on stderr and in the file's header.

On the machine it was captured from, every object the file names exists exactly so, made by
another tool (or lab): `topo plan FILE` shows no changes and lists them as unmanaged (topo
leaves them alone, destroy keeps them); a difference made later is a conflict naming it.
`topo plan --adopt FILE` lists only taking them over, never a change to them: adopt-namespace
for each namespace, a `set-link` whose only change is topo's alias mark on each link, a topo
hosts file for each namespace with hosts entries, and each root-namespace route rewritten with
topo's protocol number. No namespace, link, address or sysctl is created, changed or deleted.
An interface
topo does not model inside a captured namespace makes the plan a conflict (and would be
deleted by `apply --adopt`: a lab's namespace holds only what its file says): the warning names it.
"""

from __future__ import annotations

import errno
import os
import socket
import textwrap
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable

from .capture_core import Captured, CaptureError, Notes, NsName, Options, describe, where
from .desired import valid_ifname, valid_nsname
from .dump import dump_yaml, escape_template
from .hostsfile import netns_hosts_path
from .kinds.address.capture import capture_addresses, capture_broadcasts
from .kinds.bridge.capture import capture_bridge, capture_masters, drop_portless, keep_chosen_mtu
from .kinds.hosts.capture import capture_entries, capture_root_hosts
from .kinds.link.capture import capture_interface_sysctls, capture_link_settings
from .kinds.loopback.capture import capture_loopback
from .kinds.route.capture import capture_routes
from .kinds.sysctl.capture import CAPTURED_SYSCTLS, capture_sysctls
from .kinds.veth.capture import capture_pairs
from .live import LiveLink, LiveNetns, link_readers, read_netns
from .model import IMPLICIT_NODE, IPInterface, Netns, Node, Place, Topology
from .names import printable
from .netns import NetnsError, NetnsPool, list_netns
from .roots import Roots
from .rtnl import NetlinkError
from .rtnlsock import nsid_of

__all__ = ["Capture", "CaptureError", "capture", "header", "render"]

FALLBACK_TUNNELS = frozenset({
    ("ipip", "tunl0"), ("gre", "gre0"), ("gretap", "gretap0"), ("erspan", "erspan0"), ("sit", "sit0"),
    ("ip6tnl", "ip6tnl0"), ("ip6gre", "ip6gre0"), ("vti", "ip_vti0"), ("vti6", "ip6_vti0"), ("ip6erspan", "ip6erspan0"),
})
"""Devices the kernel adds to every namespace once a tunnel module is loaded: nobody's lab."""
READ_AS_LAB = "captured"
"""The lab name the namespaces are read as: read_netns reads that lab's block of /etc/hosts
for the root namespace, which capture does not use (it takes every lab's block)."""


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
            **({"rules": n} if (n := sum(len(ns.rules) for ns in topo.all_netns())) else {}),
            **({"impairments": len(topo.impairments)} if topo.impairments else {}),
        }

    def summary(self) -> str:
        """`2 namespaces, 1 bridge, 2 veth pairs, 2 routes`."""
        return ", ".join(f"{n} {k if n != 1 else k.replace('pairs', 'pair').rstrip('s')}" for k, n in self.counts.items())


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _in_order(addresses: set[IPInterface], order: list[IPInterface]) -> list[IPInterface]:
    """A link's addresses (the facts) in the kernel's order (`order`: its address dump)."""
    rank = {a: i for i, a in enumerate(order)}
    return sorted(addresses, key=lambda a: (rank.get(a, len(rank)), a.version, a))


class _Reader:
    """The namespaces to capture, read through live.read_netns: those selected that are
    network namespaces (each once: another name of one is noted), and the root namespace."""

    def __init__(self, pool: NetnsPool, selected: list[str], all_names: list[str], notes: Notes):
        self.pool = pool
        self.notes = notes
        self.readers = link_readers()
        self.live: dict[NsName, LiveNetns] = {}
        self.unnamed: dict[NsName, dict[str, LiveLink]] = {}
        self.order: dict[NsName, dict[str, list[IPInterface]]] = {}
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
                    notes.skipped.append(f"namespace {name}: another name of {seen[ident]}, captured as that")
                continue
            seen[ident] = name
            self.candidates.append(name)
        for name in selected:
            if name not in self.candidates:
                continue
            if err := valid_nsname(name):
                notes.skipped.append(f"namespace {name!r}: {err}")
                continue
            try:
                self.read(name)
            except (NetnsError, OSError) as exc:
                notes.skipped.append(f"namespace {name}: cannot be entered ({exc}); not a network namespace?")
                continue
            self.captured.append(name)
        self.read(None)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()

    def read(self, name: NsName) -> None:
        """One namespace's facts, without the links whose names a file may not have (noted)."""
        live = read_netns(self.pool, name, CAPTURED_SYSCTLS, READ_AS_LAB, self.readers)
        # live.addresses are sets: the kernel's order (which applying the file repeats) comes
        # from the address dump
        names = {link.index: link.name for link in live.links.values()}
        order: dict[str, list[IPInterface]] = {}
        for a in self.pool.socket(name).addresses():
            if a.index in names:
                order.setdefault(names[a.index], []).append(a.address)
        kept: dict[str, LiveLink] = {}
        unnamed: dict[str, LiveLink] = {}
        for ifname, link in live.links.items():
            if err := valid_ifname(ifname):  # the kernel allows names a file may not have
                self.notes.skipped.append(f"link {printable(ifname)} in {where(name)}: {err}")
                unnamed[ifname] = link
            else:
                kept[ifname] = link
        self.live[name] = replace(live, links=kept)
        self.unnamed[name] = unnamed
        self.order[name] = order

    def addresses(self, ns: NsName, ifname: str) -> list[IPInterface]:
        return _in_order(self.live[ns].addresses.get(ifname, set()), self.order[ns].get(ifname, []))

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


def link_captures() -> dict[str, Any]:
    """The kinds of link whose folder captures their devices itself (`capture.py` with `KIND`
    and `capture_link(cap, ns, link, opts)`, which adds the interface or says why not)."""
    from .kinds.registry import REGISTRY

    return {m.KIND: m for m in REGISTRY.modules("capture") if hasattr(m, "capture_link")}


def netns_captures() -> list[Any]:
    """The kinds whose folder captures a namespace's setting itself (`capture_netns(ns, netns,
    live, opts, notes)` in `capture.py`: a namespace's policy routing rules)."""
    from .kinds.registry import REGISTRY

    return [m for m in REGISTRY.modules("capture") if hasattr(m, "capture_netns")]


def topology_captures() -> list[Any]:
    """The kinds whose folder captures a setting of the whole lab once its namespaces and veth
    pairs are (`capture_topology(cap, topo, pool, notes)` in `capture.py`: impairments, which
    a veth pair's two namespaces carry)."""
    from .kinds.registry import REGISTRY

    return [m for m in REGISTRY.modules("capture") if hasattr(m, "capture_topology")]


def _devices(cap: Captured, order: list[NsName], opts: Options, notes: Notes) -> None:
    """Loopbacks and the root namespace's bridges; what topo does not model is noted (veths
    are paired later)."""
    own_devices: list[str] = []
    root_others: list[str] = []
    kinds = link_captures()
    for ns in order:
        for link in cap.live[ns].links.values():
            if link.kind == "loopback":
                if ns is not None:
                    cap.add(ns, capture_loopback(link))
            elif link.kind == "veth":
                continue
            elif link.kind == "bridge" and ns is None:
                if opts.include_root:
                    cap.add(None, capture_bridge(link, opts.macs))
            elif (link.kind, link.name) in FALLBACK_TUNNELS:
                continue
            elif (kind := kinds.get(link.kind)) is not None and (ns is not None or opts.include_root):
                captured = kind.capture_link(cap, ns, link, opts)
                if isinstance(captured, str):
                    notes.skipped.append(f"{describe(link)} in {where(ns)}: {captured}")
            elif ns is None and link.kind == "":
                own_devices.append(link.name)
            elif ns is None and opts.named:
                root_others.append(link.name)  # the named namespaces' capture is not about them
            elif ns is not None or opts.include_root:
                why = ("topo models bridges in the root namespace only" if link.kind == "bridge"
                       else f"capture writes only {', '.join(sorted({'veth', 'bridge', *kinds}))} devices")
                notes.skipped.append(f"{describe(link)} in {where(ns)}: {why}")
    if own_devices and opts.include_root:
        notes.left_out.append(f"the node's own devices ({', '.join(sorted(own_devices))})")
    if root_others and opts.include_root:
        notes.left_out.append(f"other devices of the root namespace ({', '.join(sorted(root_others))}): "
                              "not connected to the namespaces named with --netns")


def _build(reader: _Reader, lab: str, opts: Options, notes: Notes) -> Topology:
    root = Netns(Place(IMPLICIT_NODE))
    nss: dict[NsName, Netns] = {name: Netns(Place(IMPLICIT_NODE, name)) for name in reader.captured}
    if opts.include_root:
        nss[None] = root
    cap = Captured(reader.live, nss, unnamed=reader.unnamed)
    order: list[NsName] = [*reader.captured, None]
    _devices(cap, order, opts, notes)
    pairs = capture_pairs(cap, order, reader.nsid_map, opts, notes)
    capture_masters(cap, notes)
    if opts.include_root and opts.named:
        drop_portless(root, notes)
    keep_chosen_mtu(root)
    for ns, iface in cap.interfaces:
        iface.addresses = capture_addresses(iface.name, reader.addresses(ns, iface.name))
        iface.broadcasts = capture_broadcasts(iface.addresses, cap.live[ns].broadcasts.get(iface.name, {}))
    capture_link_settings(cap, notes)
    for ns, netns in nss.items():
        ifaces = {i.name: i for n, i in cap.interfaces if n == ns}
        local = {a.ip for i in netns.interfaces.values() for a in i.addresses}
        netns.routes = capture_routes(ns, cap.live[ns], ifaces, local, notes)
        for kind in netns_captures():
            kind.capture_netns(ns, netns, cap.live[ns], opts, notes)
        netns.sysctls = capture_sysctls(cap.live[ns].sysctls)
        netns.hosts = (capture_root_hosts(reader.pool.roots.etc_hosts, notes) if ns is None
                       else capture_entries(str(netns_hosts_path(reader.pool.roots.etc_netns, ns)), cap.live[ns].hosts, notes))
    capture_interface_sysctls(cap, reader.pool)
    nodes = {IMPLICIT_NODE: Node(IMPLICIT_NODE, root, {name: nss[name] for name in sorted(reader.captured)})}
    topo = Topology(lab, nodes, pairs)
    for kind in topology_captures():
        kind.capture_topology(cap, topo, reader.pool, notes)
    return topo


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
    notes = Notes()
    opts = Options(include_root, macs, bool(named))
    with NetnsPool(roots) as pool:
        reader = _Reader(pool, named or existing, existing, notes)
        try:
            topo = _build(reader, lab, opts, notes)
        finally:
            reader.close()
    if include_root:
        _kind_notes(notes)
    return Capture(topo, reader.captured, include_root, bool(named), when, notes.skipped, notes.left_out)


def _kind_notes(notes: Notes) -> None:
    """What kinds say capture leaves out of the node (`capture_notes` in their capture.py: the
    node's nftables tables)."""
    from .kinds.registry import REGISTRY

    for module in REGISTRY.modules("capture"):
        if hasattr(module, "capture_notes"):
            module.capture_notes(notes)


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
        f"# Saved by `topo save` on {socket.gethostname()} at {cap.when.isoformat(timespec='seconds')}.",
        *_wrapped("# What: " + cap.summary() + ", from "
                  + ("the root namespace (bridges, veth ends, the routes through them) and " if cap.include_root else "")
                  + (f"the namespaces named with --netns: {_list(cap.namespaces)}" if cap.selected
                     else f"every namespace under /run/netns: {_list(cap.namespaces) or 'none'}") + "."),
        "# Rules: interfaces with their addresses (not the kernel's IPv6 link-local ones), MTU when not",
        "#   the default, MAC, state; lo only where it differs from topo's default (up). Routes of the main",
        "#   and other tables (not local/default) except the kernel's own (proto kernel/ra), each with its",
        "#   device; in the root namespace only routes whose device is a captured bridge or veth end (routes",
        "#   via the node's uplink are the machine's, not the lab's). Queue length when not the",
        "#   kernel's (1000, a tun's 500), hairpin, broadcast addresses. Policy routing rules but the",
        "#   kernel's 0/32766/32767; the root namespace's only without --netns. Impairments: netem and tbf",
        "#   root qdiscs (topo's or another tool's) and topo's loss drops (nftables netdev tables).",
        "#   Sysctls: " + ", ".join(CAPTURED_SYSCTLS) + " where 1; an interface's accept_ra, arp_notify ...",
        "#   where not its namespace's default.",
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
        "# alias mark on each link, a hosts file for each namespace with entries, root routes re-marked as topo's).",
    ]
    return escape_template("\n".join(lines) + "\n")


def render(cap: Capture, schema_ref: str) -> str:
    return header(cap, schema_ref) + dump_yaml(cap.topology)
