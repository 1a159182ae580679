"""Helpers for the kinds' root-free unit tests (provisioner/kinds/<kind>/tests/): plain
functions, no kernel, no files outside the test's own.

- diff cases: a YAML file per case (`cases/*.yaml` next to a kind's tests) with a topology,
  the live facts in a compact form (`live_state`), an optional record, and the expected plan
  lines (`WHERE: ` + `Action.describe()`, in plan order), conflicts and unmanaged objects;
- read: kernel replies encoded by pyroute2's message classes (an encoder independent of
  topo's parsers), as the bytes a dump returns;
- encode: a fake executor (fixed ifindexes and namespace fds), and pyroute2 decoding of the
  requests an op's `encode` returns.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..core.keys import RouteKey
from ..core.plan import Action, Plan
from ..diagnostics import Severity
from ..live import LiveLink, LiveNetns, LiveRoute, LiveState
from ..loader import load_text
from ..model import Topology, kernel_default_metric
from ..processes import LiveProcess, ProcessRecord
from ..roots import Roots
from ..rtnl import Msg
from ..state import LabRecord
from ..validate import validate_document

PROTOCOLS = {"kernel": 2, "boot": 3, "static": 4, "ra": 9, "topo": 151}
TYPES = {"unicast": 1, "local": 2, "blackhole": 6, "unreachable": 7, "prohibit": 8}


# ---- the desired model ----------------------------------------------------------------------------
def topology(text: str) -> Topology:
    """A topology from YAML text, through the project's loader and validator."""
    result = validate_document(load_text("case.yaml", text))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    assert result.topology is not None
    return result.topology


# ---- live facts from a compact description ---------------------------------------------------------
def _where(text: str) -> str | None:
    return None if text in ("", "(root)") else text


def _links(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The links of one namespace, with defaults: lo (unless named) first, indexes in order."""
    links = dict(data.get("links") or {})
    if "lo" not in links:
        links = {"lo": {}, **links}
    out = {}
    for pos, (name, spec) in enumerate(links.items(), start=1):
        spec = dict(spec or {})
        spec.setdefault("index", pos)
        spec.setdefault("kind", "loopback" if name == "lo" else "")
        spec.setdefault("mtu", 65536 if name == "lo" else 1500)
        spec.setdefault("mac", "00:00:00:00:00:00" if name == "lo" else f"02:00:00:00:00:{pos:02x}")
        out[name] = spec
    return out


def _route(data: dict[str, Any]) -> LiveRoute:
    dst = ipaddress.ip_network("0.0.0.0/0" if data["dst"] == "default" else "::/0" if data["dst"] == "default6"
                               else data["dst"])
    proto, rtype = data.get("proto", "boot"), data.get("type", "unicast")
    return LiveRoute(dst, ipaddress.ip_address(data["via"]) if data.get("via") else None, data.get("dev"),
                     data.get("metric", kernel_default_metric(dst)), bool(data.get("onlink", False)),
                     ipaddress.ip_address(data["src"]) if data.get("src") else None,
                     PROTOCOLS.get(proto, proto), TYPES.get(rtype, rtype), data.get("table", 254))


def _rule(data: dict[str, Any]) -> Any:
    """A rule's facts: `{priority, table, from, to, iif, oif, fwmark, fwmask, family (4), proto (topo), plain}`."""
    from .rule.model import Rule
    from .rule.read import LiveRule

    nets = {k: ipaddress.ip_network(data[k]) if k in data else None for k in ("from", "to")}
    rule = Rule(data.get("family", 4), data["priority"], data["table"], nets["from"], nets["to"], data.get("iif"),
                data.get("oif"), data.get("fwmark"), data.get("fwmask"))
    proto = data.get("proto", "topo")
    return LiveRule(rule, PROTOCOLS.get(proto, proto), data.get("plain", True))


def live_state(data: dict[str, Any] | None) -> LiveState:
    """LiveState from `{root: NS, namespaces: {name: NS}, existing, unpinned, processes,
    node_hosts, live_rename}`, each NS `{inode, nsid, links: {name: LINK}, routes: [ROUTE], sysctls, hosts,
    fdb: {vxlan: [remote]}}` (hosts: text, or `{topo: LAB, entries}` as topo writes it); a LINK `{kind, alias, mtu, mac, up, master, peer: NS:NAME,
    netnsid, vxlan: [vni, port, local], macvlan: [mode, parent], tun: [mode, uid, multi_queue, persist], addresses: [...], broadcasts: {address: broadcast},
    txqlen (1000), hairpin (a port's, false)}` (lo is added
    when not named; a macvlan's parent is a root link's name or an ifindex, and its netnsid
    defaults to 0 outside the root namespace);
    a ROUTE `{dst (or default, default6), via, dev, metric, onlink, src, proto, type, table}`, a RULE as `_rule` reads it."""
    data = data or {}
    spaces = {None: data.get("root") or {}, **{k: v or {} for k, v in (data.get("namespaces") or {}).items()}}
    specs = {ns: _links(d) for ns, d in spaces.items()}
    built: dict[str | None, LiveNetns] = {}
    for ns, d in spaces.items():
        live = LiveNetns(ns, d.get("inode"), nsid=d.get("nsid"), sysctls={k: str(v) for k, v in (d.get("sysctls") or {}).items()},
                         hosts=_hosts(d.get("hosts")), routes=[_route(r) for r in d.get("routes") or []],
                         fdb={k: {ipaddress.ip_address(a) for a in v} for k, v in (d.get("fdb") or {}).items()},
                         rules=[_rule(r) for r in d.get("rules") or []])
        for name, spec in specs[ns].items():
            live.links[name] = _link(ns, name, spec, specs)
            live.addresses[name] = {ipaddress.ip_interface(a) for a in spec.get("addresses") or []}
            if spec.get("broadcasts"):
                live.broadcasts[name] = {ipaddress.ip_interface(a): ipaddress.ip_address(b) for a, b in spec["broadcasts"].items()}
        built[ns] = live
    namespaces = {k: v for k, v in built.items() if k is not None}
    unpinned = set(data.get("unpinned") or [])
    existing = set(data.get("existing", list(namespaces))) | unpinned
    procs = {}
    for key, p in (data.get("processes") or {}).items():
        netns, name = key.split("/")
        rec = ProcessRecord(netns, name, p["command"], [list(e) for e in p.get("env") or []], p.get("pid", 100), 1, p.get("user"))
        procs[(netns, name)] = LiveProcess(rec, p.get("alive", True), p.get("in_place", True))
    hosts = {k: tuple(ipaddress.ip_address(a) for a in v) for k, v in (data.get("node_hosts") or {}).items()}
    return LiveState(built[None], namespaces, existing, procs, unpinned, hosts, live_rename=data.get("live_rename", True))


def _hosts(data: Any) -> str | None:
    """A hosts file as text, or `{topo: LAB, entries: {name: address}}`: as topo leaves it for
    lab LAB (with no entries: no file, as topo leaves a namespace without hosts entries)."""
    if not isinstance(data, dict):
        return data
    if not data.get("entries"):
        return None
    from ..hostsfile import render_netns_hosts

    entries = {k: tuple(ipaddress.ip_address(a) for a in (v if isinstance(v, list) else [v]))
               for k, v in (data.get("entries") or {}).items()}
    return render_netns_hosts(data["topo"], entries)


def _link(ns: str | None, name: str, spec: dict[str, Any], specs: dict[str | None, dict[str, dict[str, Any]]]) -> LiveLink:
    peer_index, other, netnsid = None, False, spec.get("netnsid")
    if "peer" in spec:
        peer_ns, peer_name = spec["peer"].rsplit(":", 1)
        peer_ns = _where(peer_ns)
        peer_index, other = specs[peer_ns][peer_name]["index"], peer_ns != ns
        netnsid = netnsid if netnsid is not None or not other else 0
    info, link_index = None, peer_index or 0
    if "vxlan" in spec:
        vni, port, local = spec["vxlan"]
        info = (vni, port, ipaddress.ip_address(local) if local else None)
    if "macvlan" in spec:
        info, netnsid = _macvlan(ns, spec, specs[None])
        link_index, other = info.parent_index, netnsid is not None
    if "tun" in spec:
        from .tap.read import TapFacts

        info = TapFacts(*spec["tun"])
    from .link.read import PortFacts

    port = PortFacts(bool(spec.get("hairpin", False))) if spec.get("master") else None
    return LiveLink(spec["index"], name, spec["kind"], spec.get("alias"), spec["mtu"], spec["mac"], spec.get("up", True),
                    spec.get("master"), peer_index, other, netnsid, info, link_index, spec.get("txqlen", 1000), port)


def _macvlan(ns: str | None, spec: dict[str, Any], root: dict[str, dict[str, Any]]) -> tuple[Any, int | None]:
    """A macvlan's facts (`macvlan: [mode, parent]`) and the id of its parent's namespace."""
    from .macvlan.read import MacvlanFacts

    mode, parent = spec["macvlan"]
    netnsid = spec.get("netnsid", None if ns is None else 0)
    index = parent if isinstance(parent, int) else root[parent]["index"]
    return MacvlanFacts(mode, index, netnsid), netnsid


def lab_record(lab: str, node: str, data: dict[str, Any] | None, live: LiveState) -> LabRecord | None:
    """The record a case gives (`{namespaces, netns_ids, root_routes: [{dst, metric}],
    sysctls, version}`); a recorded namespace without a known id gets its live inode."""
    if data is None:
        return None
    ids = dict(data.get("netns_ids") or {})
    if "netns_ids" not in data:
        ids = {n: live.namespaces[n].inode for n in data.get("namespaces") or []
               if n in live.namespaces and live.namespaces[n].inode is not None}
    routes = [RouteKey.from_record(None, r) for r in data.get("root_routes") or []]
    sysctls = {k: None if v is None else str(v) for k, v in (data.get("sysctls") or {}).items()}
    return LabRecord(lab, node, list(data.get("namespaces") or []), routes, sysctls, None, data.get("version", 3), ids,
                     root_rules=list(data.get("root_rules") or []))


# ---- the plan, as lines ------------------------------------------------------------------------------
def action_line(a: Action) -> str:
    return f"{a.where}: {a.describe()}"


def plan_lines(plan: Plan) -> list[str]:
    return [action_line(a) for a in plan.actions]


def conflict_lines(plan: Plan) -> list[str]:
    return [f"{c.netns or '(root)'}: {c.target}: {c.message}" for c in plan.conflicts]


def unmanaged_lines(plan: Plan) -> list[str]:
    return [f"{u.netns or '(root)'}: {u.target}" for u in plan.unmanaged]


# ---- diff cases ---------------------------------------------------------------------------------------
def case_files(test_file: str) -> list[Any]:
    """The cases next to a test module (`cases/*.yaml`), as pytest params (a case with `xfail:
    REASON` is a known bug: expected to fail, strictly)."""
    import pytest

    params = []
    for path in sorted((Path(test_file).parent / "cases").glob("*.yaml")):
        case = yaml.safe_load(path.read_text())
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def run_case(path: Path) -> Plan:
    """Plan the case's topology against its facts and record; check what it expects."""
    from ..planner import make_plan

    case = yaml.safe_load(path.read_text())
    topo = topology(case["topology"])
    live = live_state(case.get("live"))
    node = case.get("node", "host")
    record = lab_record(topo.name, node, case.get("record"), live)
    plan = make_plan(topo, node, live, record, bool(case.get("adopt", False)))
    assert plan_lines(plan) == list(case.get("plan") or []), "\n".join(plan_lines(plan))
    conflicts = conflict_lines(plan)
    expected = case.get("conflicts") or []
    assert len(conflicts) == len(expected), conflicts
    for line, (head, says) in zip(conflicts, expected):
        assert line.startswith(f"{head}: ") and says in line, (line, head, says)
    assert unmanaged_lines(plan) == list(case.get("unmanaged") or []), unmanaged_lines(plan)
    _check_record(plan, case.get("record_after"))
    return plan


def _check_record(plan: Plan, want: dict[str, Any] | None) -> None:
    if want is None:
        return
    assert plan.record is not None
    if "namespaces" in want:
        assert plan.record.namespaces == want["namespaces"]
    if "root_routes" in want:
        assert [k.to_record() for k in plan.record.root_routes] == want["root_routes"]
    if "root_rules" in want:
        assert plan.record.root_rules == want["root_rules"]
    if "sysctls" in want:
        assert plan.record.sysctls == {k: None if v is None else str(v) for k, v in want["sysctls"].items()}


# ---- read: kernel replies encoded by pyroute2 -------------------------------------------------------
def pyroute2_bytes(cls: type, fields: dict[str, Any], attrs: list[tuple[str, Any]], msg_type: int = 0) -> bytes:
    """One netlink message (header included) as pyroute2 encodes it."""
    msg = cls()
    for key, value in fields.items():
        msg[key] = value
    msg["attrs"] = attrs
    msg["header"]["type"] = msg_type
    msg.encode()
    return bytes(msg.data)


def parse(parser: Any, data: bytes) -> Any:
    """A topo parser (rtnl.parse_*) on one message placed after others in a reply buffer: the
    offset must be honoured."""
    pad = b"\xee" * 20
    return parser(pad + data, len(pad), len(data))


# ---- encode: a fake executor and pyroute2 decoding --------------------------------------------------
@dataclass
class FakeSocket:
    """What a run op sends (batches of requests), accepted."""

    sent: list[Msg] = field(default_factory=list)

    def batch(self, msgs: list[Msg]) -> list[None]:
        self.sent += msgs
        return [None] * len(msgs)


@dataclass
class FakePool:
    fds: dict[str | None, int] = field(default_factory=dict)
    sockets: dict[str | None, FakeSocket] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    def fd(self, netns: str | None) -> int:
        return self.fds[netns]

    def socket(self, netns: str | None) -> FakeSocket:
        return self.sockets.setdefault(netns, FakeSocket())

    def create(self, netns: str) -> None:
        self.created.append(netns)


@dataclass
class FakeExecutor:
    """The part of the executor an op's `encode` uses: fixed ifindexes and namespace fds."""

    indexes: dict[tuple[str | None, str], int]
    lab: str = "lab"
    pool: FakePool = field(default_factory=FakePool)
    open_fds: list[int] = field(default_factory=list)
    forgotten: list[tuple[str | None, ...]] = field(default_factory=list)

    def index(self, netns: str | None, ifname: str) -> int:
        try:
            return self.indexes[(netns, ifname)]
        except KeyError:
            raise OSError(19, f"no interface {ifname}") from None

    def forget_indexes(self, *namespaces: str | None) -> None:
        self.forgotten.append(namespaces)


def decode(msg: Msg, cls: type) -> Any:
    """A request as pyroute2 decodes it (its netlink header prepended, as RtnlSocket.batch does)."""
    data = struct.pack("=IHHII", 16 + len(msg.body), msg.type, msg.flags, 1, 0) + msg.body
    out = cls(data)
    out.decode()
    assert out["header"]["length"] == len(data)
    return out


def attr_names(msg: Any) -> list[str]:
    return [a[0] for a in msg["attrs"]]


@dataclass
class DumpSocket:
    """A namespace's socket whose dumps answer with the given reply messages (bytes), parsed by
    topo's parsers as the real socket does."""

    link_msgs: list[bytes] = field(default_factory=list)
    addr_msgs: list[bytes] = field(default_factory=list)
    route_msgs: list[bytes] = field(default_factory=list)
    fdb_msgs: list[bytes] = field(default_factory=list)
    rule_msgs: list[bytes] = field(default_factory=list)

    def exchange(self, msg_type: int, flags: int, body: bytes) -> Any:
        """A dump topo's kinds ask for themselves (rules: RTM_GETRULE), as (data, offset, length)."""
        from .rule.read import RTM_GETRULE

        assert msg_type == RTM_GETRULE, msg_type
        pad = b"\xee" * 20
        return [(pad + d, len(pad), len(d)) for d in self.rule_msgs]

    def links(self) -> list[Any]:
        from ..rtnl import parse_link

        return [parse(parse_link, d) for d in self.link_msgs]

    def addresses(self) -> list[Any]:
        from ..rtnl import parse_addr

        return [parse(parse_addr, d) for d in self.addr_msgs]

    def routes(self) -> list[Any]:
        from ..rtnl import parse_route

        return [parse(parse_route, d) for d in self.route_msgs]

    def fdb(self) -> list[Any]:
        from ..rtnl import parse_fdb

        return [parse(parse_fdb, d) for d in self.fdb_msgs]


@dataclass
class DumpPool:
    """The pool `live.read_netns` reads through: one `DumpSocket` per namespace."""

    sockets: dict[str | None, DumpSocket]
    roots: Roots = field(default_factory=lambda: Roots.from_environ({"TOPO_STATE_DIR": "/nonexistent/topo-test"}))

    def socket(self, netns: str | None) -> DumpSocket:
        return self.sockets[netns]
