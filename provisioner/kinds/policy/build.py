"""Build the lab's network policies (`policies:`): the pods each selects and the peers and
ports each rule allows, resolved to the pods' addresses; a peer or pod that is not the lab's
is a located error, a selector that matches nothing a warning."""

from __future__ import annotations

import ipaddress
from typing import Any

from ...diagnostics import YamlPath
from ...model import Netns, Topology
from ...names import printable
from ..buildctx import BuildContext, suggest
from ..service.build import needs_of_the_node
from .model import Policy, PolicyRule


def _first_v4(ns: Netns) -> Any:
    v4 = [a.ip for i in ns.interfaces.values() if i.name != "lo" for a in i.addresses if a.version == 4]
    return v4[0] if v4 else None


def _select(ctx: BuildContext, pods: dict[str, Netns], path: YamlPath, raw: dict[str, Any]) -> list[Netns] | None:
    """The pods `pods:` names or `podSelector:` matches (None after an error)."""
    if "podSelector" in raw:
        want = {str(k): str(v) for k, v in raw["podSelector"].items()}
        found = [ns for _, ns in sorted(pods.items()) if all(ns.labels.get(k) == v for k, v in want.items())]
        if not found:
            ctx.sink.warning(path + ("podSelector",), "the selector matches no namespace of the lab", "give the pods these `labels:`")
        return found
    out = []
    for i, name in enumerate(raw["pods"]):
        ns = pods.get(str(name))
        if ns is None:
            ctx.sink.error(path + ("pods", i), f"{printable(str(name))} is not a namespace of this lab", suggest(str(name), sorted(pods)))
            return None
        out.append(ns)
    return out


def _addresses(ctx: BuildContext, path: YamlPath, chosen: list[Netns]) -> list[Any] | None:
    out = []
    for ns in chosen:
        ip = _first_v4(ns)
        if ip is None:
            ctx.sink.error(path, f"namespace {ns.place.netns} has no IPv4 address a policy could name",
                           "give one of its interfaces an IPv4 address")
            return None
        out.append((ns.place.netns, ip))
    return out


def _rule(ctx: BuildContext, pods: dict[str, Netns], path: YamlPath, raw: dict[str, Any], side: str) -> PolicyRule | None:
    ports = tuple((p.get("protocol", "TCP").lower(), p["port"]) for p in raw.get("ports") or [])
    if side not in raw:
        return PolicyRule(None, ports)
    peers: list[Any] = []
    spec: list[tuple[str, object]] = []
    for i, peer in enumerate(raw[side]):
        where = path + (side, i)
        if "cidr" in peer:
            try:
                net = ipaddress.ip_network(str(peer["cidr"]))
            except ValueError:
                ctx.sink.error(where + ("cidr",), f"{printable(str(peer['cidr']))} is not an IPv4 prefix with its host bits zero",
                               "e.g. 10.244.0.0/16")
                return None
            if net.version != 4:
                ctx.sink.error(where + ("cidr",), f"{net} is not IPv4: policies match IPv4 traffic", "e.g. 10.244.0.0/16")
                return None
            peers.append(net)
            spec.append(("cidr", str(net)))
            continue
        chosen = _select(ctx, pods, where, peer)
        found = _addresses(ctx, where, chosen) if chosen is not None else None
        if found is None:
            return None
        peers += [ipaddress.ip_network(ip) for _, ip in found]
        spec.append(("pods", tuple(str(n) for n in peer["pods"])) if "pods" in peer
                    else ("podSelector", tuple(sorted((str(k), str(v)) for k, v in peer["podSelector"].items()))))
    return PolicyRule(tuple(peers), ports, tuple(spec))


def build(ctx: BuildContext, topo: Topology) -> None:
    pods = {ns.place.netns: ns for ns in topo.all_netns() if ns.place.netns is not None}
    for name, raw in (ctx.data.get("policies") or {}).items():
        path: YamlPath = ("policies", name)
        chosen = _select(ctx, pods, path, raw)
        selected = _addresses(ctx, path, chosen) if chosen is not None else None
        if selected is None:
            continue
        sides: dict[str, tuple[PolicyRule, ...] | None] = {}
        ok = True
        for direction, side in (("ingress", "from"), ("egress", "to")):
            if direction not in raw:
                sides[direction] = None
                continue
            rules = [_rule(ctx, pods, path + (direction, i), r, side) for i, r in enumerate(raw[direction])]
            if any(r is None for r in rules):
                ok = False
            wrong = "to" if side == "from" else "from"
            for i, r in enumerate(raw[direction]):
                if wrong in r:
                    ctx.sink.error(path + (direction, i, wrong), f"an {direction} rule names its peers with `{side}`, not `{wrong}`",
                                   f"write {side}: [...]", key=True)
                    ok = False
            sides[direction] = tuple(r for r in rules if r is not None)
        if not ok:
            continue
        selector = tuple(sorted((str(k), str(v)) for k, v in (raw.get("podSelector") or {}).items()))
        topo.policies.append(Policy(str(name), tuple(selected), sides["ingress"], sides["egress"], path, selector,
                                    tuple(str(p) for p in raw.get("pods") or [])))
    if topo.policies:
        needs_of_the_node(topo)
