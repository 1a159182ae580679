"""Build the lab's checks (`checks:`, what `topo check` tests), and check that each reaches only
the lab's own addresses and names unless it says `external: true`."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from ...diagnostics import DiagnosticSink, YamlPath
from ...model import IMPLICIT_NODE, Check, IPAddress, IPNetwork, Place, Topology
from ...names import hosts_name_problem, printable
from ..buildctx import BuildContext, suggest, valid_ifname

EXTERNAL_HINT = "set `external: true` on the check if it is meant to reach outside the lab"
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})  # every hosts file's localhost lines


def check_target_problem(target: str) -> str | None:
    """Why a check's `to` or `resolve` is not an IP address or a host name (it is passed to
    ping, getent and a TCP connect as their operand, never as an option)."""
    try:
        ip = ipaddress.ip_address(target)
    except ValueError:
        pass
    else:
        scope = getattr(ip, "scope_id", None)
        return None if scope is None or valid_ifname(scope) is None else f"{printable(target)} has an invalid scope (interface)"
    try:
        socket.inet_aton(target)  # what ping and getaddrinfo would read as an IPv4 address
        return f"{printable(target)} is an IPv4 address in a short form; write it as four decimal numbers"
    except OSError:
        pass
    return hosts_name_problem(target)


def check_label(src: str, target: str, port: int | None, resolve: bool, expect: bool) -> str:
    """The name a check gets when the file gives it none."""
    what = f"{src} resolves {target}" if resolve else f"{src} -> {target}" + (f":{port}" if port else " (ping)")
    return what + ("" if expect else " fails")


def build(ctx: BuildContext, topo: Topology) -> None:
    places = {IMPLICIT_NODE: Place(IMPLICIT_NODE)} if ctx.data.get("nodes") is None else {}
    for node in topo.nodes.values():
        places[node.name] = node.root.place
        for ns in node.namespaces.values():
            places[ns.place.netns] = ns.place  # type: ignore[index]
    for i, raw in enumerate(ctx.data.get("checks") or []):
        made = _check(ctx, places, ("checks", i), raw)
        if made is not None:
            topo.checks.append(made)


def _shape_problem(raw: dict[str, Any]) -> tuple[YamlPath, str, bool] | None:
    """Keys that do not go together: (where under the check, why, on the key)."""
    if ("to" in raw) == ("resolve" in raw):
        return (), "a check has either `to` (reach it) or `resolve` (look the name up)", True
    if "resolve" in raw and "port" in raw:
        return ("port",), "`port` goes with `to`, not with `resolve`", False
    if "address" in raw and "resolve" not in raw:
        return ("address",), "`address` is the expected answer of `resolve`", False
    if ("answers" in raw or "connections" in raw) and "port" not in raw:
        return ("answers" if "answers" in raw else "connections",), "`answers` and `connections` go with `to` and `port`", True
    if "connections" in raw and "answers" not in raw:
        return ("connections",), "`connections` goes with `answers`", True
    return None


def _check(ctx: BuildContext, places: dict[str, Place], path: YamlPath, raw: dict[str, Any]) -> Check | None:
    sink = ctx.sink
    place = places.get(str(raw["from"]))
    if place is None:
        sink.error(path + ("from",), f"'{raw['from']}' is not a namespace or node of this lab",
                   suggest(str(raw["from"]), [str(p) for p in places]))
        return None
    if (shape := _shape_problem(raw)) is not None:
        sink.error(path + shape[0], shape[1], key=shape[2])
        return None
    address = ctx.ip(path + ("address",), raw["address"]) if "address" in raw else None
    key = "resolve" if "resolve" in raw else "to"
    target = str(raw[key])
    timeout = float(raw.get("timeout", 2))
    if err := check_target_problem(target):
        sink.error(path + (key,), err)
        return None
    if not 0 < timeout <= 60:  # the schema says so, but NaN passes every comparison
        sink.error(path + ("timeout",), f"timeout {raw['timeout']} is not a number of seconds from 0 to 60", "e.g. timeout: 2")
        return None
    expect = raw.get("expect", "success") == "success"
    port = ctx.integer(path + ("port",), raw.get("port"))
    if "port" in raw and port is None:
        return None
    name = raw.get("name") or check_label(str(raw["from"]), target, port, "resolve" in raw, expect)
    answers = tuple(sorted({str(a) for a in raw.get("answers") or []}))
    return Check(name, place, target, port, "resolve" in raw, address, expect, timeout, path, bool(raw.get("external", False)),
                 answers, int(raw.get("connections", 20)))


# ---- semantic checks ---------------------------------------------------------------------

@dataclass(frozen=True)
class _LabOwn:
    """What a check may reach without `external: true`: the lab's subnets and addresses, the
    names its hosts entries declare, and what other kinds make the lab's own."""

    networks: frozenset[IPNetwork]
    names: dict[str, tuple[IPAddress, ...]]  # by lower-case name (resolvers ignore case)

    @staticmethod
    def of(topo: Topology) -> "_LabOwn":
        nets = {a.network for ns in topo.all_netns() for i in ns.interfaces.values() for a in i.addresses}
        nets |= {ipaddress.ip_network(n.underlay.ip) for n in topo.nodes.values() if n.underlay is not None}
        names: dict[str, tuple[IPAddress, ...]] = {}
        for ns in topo.all_netns():
            for name, addrs in ns.hosts.items():
                names[name.lower()] = names.get(name.lower(), ()) + addrs
        # what other kinds make the lab's own: a kind's build module may tell (`lab_networks`,
        # `lab_names`: a Service's ClusterIP, the names the cluster DNS answers)
        from ..registry import REGISTRY

        for module in REGISTRY.modules("build"):
            nets |= set(getattr(module, "lab_networks", lambda t: ())(topo))
            for name, addrs in getattr(module, "lab_names", lambda t: ())(topo):
                names[name] = names.get(name, ()) + addrs
        return _LabOwn(frozenset(nets), names)

    def address_problem(self, ip: IPAddress, in_netns: bool) -> str | None:
        if ip.is_loopback:
            return None if in_netns else f"{ip} is the node's own loopback, not the lab's"
        if any(ip in net for net in self.networks):
            return None
        return f"{ip} is not an address of the lab or in a subnet of its interfaces"

    def target_problem(self, target: str, in_netns: bool) -> str | None:
        try:
            return self.address_problem(ipaddress.ip_address(target), in_netns)
        except ValueError:
            pass
        name = target.lower()
        if name in _LOOPBACK_NAMES:
            return None if in_netns else f"{target} is the node's own loopback, not the lab's"
        if name not in self.names:
            return f"{printable(target)} is not a name the lab's hosts entries declare: it would be looked up outside the lab"
        for ip in self.names[name]:
            if err := self.address_problem(ip, in_netns):
                return f"{printable(target)} is declared as {ip}; {err}"
        return None


def check(topo: Topology, sink: DiagnosticSink) -> None:
    """A check reaches (or resolves) only the lab's own addresses and names, unless it says
    `external: true`: a file cannot make `topo check` send traffic or DNS queries elsewhere
    by accident."""
    if all(c.external for c in topo.checks):
        return
    own = _LabOwn.of(topo)
    for one in topo.checks:
        if one.external:
            continue
        if err := own.target_problem(one.target, one.place.netns is not None):
            sink.error(one.path + ("resolve" if one.resolve else "to",), err, EXTERNAL_HINT)
