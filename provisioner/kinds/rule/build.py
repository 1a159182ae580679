"""Build a namespace's rules (`rules:` of a namespace, a node, or the top level for every
node's root namespace), and check them against the built model."""

from __future__ import annotations

import ipaddress
from typing import Any

from ...diagnostics import DiagnosticSink, YamlPath, format_path
from ...model import IPNetwork, Netns, Topology
from ..buildctx import BuildContext, valid_ifname
from ..route.build import prefix
from ..route.tables import table_of
from .model import Rule

FAMILIES = {"ipv4": 4, "ipv6": 6}


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    parsed = [rule(ctx, path + ("rules", i), r) for i, r in enumerate(raw.get("rules") or [])]
    ns.rules += [r for r in parsed if r is not None]


def _selector(ctx: BuildContext, path: YamlPath, text: Any) -> IPNetwork | None:
    """`from`/`to`: a prefix, or one address (a host: /32, /128), as `ip rule` takes them."""
    text = str(text)
    if "/" in text:
        return prefix(ctx, path, text)
    addr = ctx.ip(path, text)
    return ipaddress.ip_network(addr) if addr is not None else None


def rule(ctx: BuildContext, path: YamlPath, raw: dict[str, Any]) -> Rule | None:
    """One rule, or None when it has a problem (reported)."""
    sink = ctx.sink
    nets = {key: _selector(ctx, path + (key,), raw[key]) for key in ("from", "to") if key in raw}
    table = table_of(ctx, path + ("table",), raw["table"], rule=True)
    names = {key: str(raw[key]) for key in ("iif", "oif") if key in raw}
    bad = [(key, err) for key, name in names.items() if (err := valid_ifname(name))]
    for key, err in bad:
        sink.error(path + (key,), err)
    if None in nets.values() or table is None or bad:
        return None
    families = {n.version for n in nets.values() if n is not None}
    if "family" in raw:
        families.add(FAMILIES[raw["family"]])
    if len(families) > 1:
        sink.error(path, "rule mixes IPv4 and IPv6 (`from`, `to` and `family` must agree)",
                   "write one rule for each family")
        return None
    if "fwmask" in raw and "fwmark" not in raw:
        sink.error(path + ("fwmask",), "a `fwmask` needs a `fwmark`", "give the mark it masks, e.g. `fwmark: 0x1`")
        return None
    return Rule(families.pop() if families else 4, int(raw["priority"]), table, nets.get("from"), nets.get("to"),
                names.get("iif"), names.get("oif"), raw.get("fwmark"), raw.get("fwmask"), path).normal_at(path)


# ---- semantic checks ---------------------------------------------------------------------

def check(topo: Topology, sink: DiagnosticSink) -> None:
    for ns in topo.all_netns():
        _duplicates(ns, sink)
        _devices(ns, sink)


def _duplicates(ns: Netns, sink: DiagnosticSink) -> None:
    seen: dict[Rule, str] = {}
    for r in ns.rules:
        if r in seen:
            sink.error(r.path, f"rule {r.describe()} is already defined at {seen[r]}", "remove one of them")
        else:
            seen[r] = format_path(r.path)


def _devices(ns: Netns, sink: DiagnosticSink) -> None:
    """A rule may name a device that comes later (the kernel keeps it by name); one the file
    never makes is more likely a typo."""
    where = f"namespace {ns.place.netns}" if ns.place.netns else f"node {ns.place.node}"
    for r in ns.rules:
        for key, name in (("iif", r.iif), ("oif", r.oif)):
            if name is not None and name != "lo" and name not in ns.interfaces:
                sink.warning(r.path + (key,), f"rule {key} '{name}' is not an interface of {where}",
                             f"interfaces there: {', '.join(sorted(ns.interfaces)) or 'none'}")
