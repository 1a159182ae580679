"""What `topo show` shows of a lab on one node, gathered from the live state (live.py), the
neighbour tables (neigh.py), the process records and the hosts files. Values come from the
kernel and from files others may edit: they are kept as they are here and escaped where
printed (table.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import TopoError
from ..hostsfile import STANDARD_HOST_NAMES, netns_hosts_path
from ..live import LiveNetns, LiveRoute, LiveState
from ..model import Topology
from ..render.table import Row, inventory_rows
from ..rtnl import RT_TABLE_MAIN, RTN_NAMES, RTN_UNICAST
from ..roots import Roots
from .neigh import RawNeighbour, read_neighbours, state_names

ROOT = "(root)"
PROTOCOLS = {2: "kernel", 3: "boot", 4: "static", 9: "ra", 151: "topo"}
"""Route protocols by the names `ip route` gives them (151: topo's own, RTPROT_TOPO)."""


@dataclass(frozen=True)
class RouteRow:
    namespace: str
    to: str
    via: str
    dev: str
    table: str
    metric: int
    proto: str
    src: str
    type: str


@dataclass(frozen=True)
class NeighbourRow:
    namespace: str
    address: str
    dev: str
    lladdr: str
    state: str


@dataclass(frozen=True)
class ProcessRow:
    namespace: str
    name: str
    pid: int | None
    status: str  # running, exited, not started
    command: str


@dataclass(frozen=True)
class HostsRow:
    namespace: str
    file: str
    address: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class LabShow:
    """The whole of `topo show` for one node: a list of rows per section."""

    lab: str
    node: str
    interfaces: list[Row] = field(default_factory=list)
    routes: list[RouteRow] = field(default_factory=list)
    neighbours: list[NeighbourRow] = field(default_factory=list)
    processes: list[ProcessRow] = field(default_factory=list)
    hosts: list[HostsRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"lab": self.lab, "node": self.node}
        for section in ("interfaces", "routes", "neighbours", "processes", "hosts"):
            doc[section] = [_plain(asdict(r)) for r in getattr(self, section)]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "LabShow":
        """Back from `to_json` (a node's answer to `topo show -i`); ValueError/TypeError when malformed."""
        if not isinstance(doc, dict):
            raise ValueError("a node's show answer is not a JSON object")
        made = {"interfaces": Row, "routes": RouteRow, "neighbours": NeighbourRow, "processes": ProcessRow, "hosts": HostsRow}
        sections = {k: [kind(**_tupled(r)) for r in doc.get(k, [])] for k, kind in made.items()}
        return cls(str(doc.get("lab", "")), str(doc.get("node", "")), **sections)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in row.items()}


def _tupled(row: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}


def _label(netns: str | None) -> str:
    return netns or ROOT


def _route_row(ns: str, r: LiveRoute) -> RouteRow:
    to = "default" if r.dst.prefixlen == 0 else str(r.dst)
    table = "main" if r.table == RT_TABLE_MAIN else str(r.table)
    kind = "unicast" if r.type == RTN_UNICAST else RTN_NAMES.get(r.type, str(r.type))
    return RouteRow(ns, to, str(r.via or ""), r.dev or "", table, r.metric, PROTOCOLS.get(r.proto, str(r.proto)),
                    str(r.src or ""), kind)


def _route_order(r: LiveRoute) -> tuple[int, int, int, int, int, str, int]:
    """IPv4 first, then by table, the default route first, then by destination and device (the
    kernel lists equal destinations in the order their links came up: timing)."""
    return (r.dst.version, r.table, int(r.dst.prefixlen != 0), int(r.dst.network_address), r.dst.prefixlen,
            r.dev or "", r.metric)


def _neighbour_order(n: RawNeighbour) -> tuple[int, int, int]:
    """By address (IPv4 first), then interface: the kernel's dump is in its hash table's order."""
    addr = ipaddress.ip_address(n.address)
    return (addr.version, int(addr), n.index)


def _hosts_rows(ns: str, file: str, text: str | None) -> list[HostsRow]:
    """The entries of a hosts file topo writes (or of the lab's block of /etc/hosts), line by
    line as they are, without comments and the standard localhost lines."""
    out = []
    for line in (text or "").split("\n"):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and not set(fields[1:]) <= STANDARD_HOST_NAMES:
            out.append(HostsRow(ns, file, fields[0], tuple(fields[1:])))
    return out


def _processes(topo: Topology, node: str, live: LiveState) -> list[ProcessRow]:
    declared = {(ns_name, p.name): p.command for ns_name, ns in topo.nodes[node].namespaces.items()
                for p in ns.processes.values()}
    out = []
    for key in sorted(set(declared) | set(live.processes)):
        seen = live.processes.get(key)
        if seen is None:
            out.append(ProcessRow(key[0], key[1], None, "not started", declared[key]))
            continue
        status = "running" if seen.alive and seen.in_place else "exited"
        out.append(ProcessRow(key[0], key[1], seen.record.pid, status, seen.record.command))
    return out


def _devices(lns: LiveNetns) -> dict[int, str]:
    return {link.index: name for name, link in lns.links.items()}


def lab_show(roots: Roots, topo: Topology, node: str, live: LiveState,
             neighbours: dict[str | None, list[RawNeighbour]]) -> LabShow:
    """Everything `show` prints of TOPO on NODE. In the root namespace (the machine's own)
    only what is on the lab's interfaces: its routes and neighbours, its block of /etc/hosts."""
    doc = LabShow(topo.name, node, inventory_rows(topo, node, live))
    for ns in topo.nodes[node].all_netns():
        name = ns.place.netns
        lns = live.netns(name)
        if lns is None:
            continue
        label = _label(name)
        ours = None if name is not None else set(ns.interfaces)
        routes = sorted((r for r in lns.routes if ours is None or r.dev in ours), key=_route_order)
        doc.routes.extend(_route_row(label, r) for r in routes)
        devs = _devices(lns)
        for n in sorted(neighbours.get(name, []), key=_neighbour_order):
            dev = devs.get(n.index, str(n.index))
            if ours is None or dev in ours:
                doc.neighbours.append(NeighbourRow(label, n.address, dev, n.lladdr, ",".join(state_names(n.state))))
        file = str(roots.etc_hosts) if name is None else str(netns_hosts_path(roots.etc_netns, name))
        doc.hosts.extend(_hosts_rows(label, file, lns.hosts))
    doc.processes.extend(_processes(topo, node, live))
    return doc


def read_show(roots: Roots, topo: Topology, node: str, file: Path | str) -> LabShow:
    """Read the lab's state on this node for `show`: refused (TopoError) when the lab was never
    applied here (no record of it), rather than a table of missing objects."""
    from ..engine import read_node
    from ..netns import NetnsPool
    from ..state import load_record

    if load_record(roots, topo.name) is None:
        raise TopoError(f"error: lab {topo.name} is not applied on node {node} (topo has no record of it here): "
                        f"nothing to show; run `topo apply {file}` first")
    live = read_node(roots, topo, node)
    neighbours: dict[str | None, list[RawNeighbour]] = {}
    with NetnsPool(roots) as pool:
        for name in (None, *live.namespaces):
            try:
                neighbours[name] = read_neighbours(pool.socket(name))
            except FileNotFoundError:  # deleted since it was read: its neighbours are gone with it
                continue
    return lab_show(roots, topo, node, live, neighbours)
