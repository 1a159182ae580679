"""`--target OBJECT` on plan, apply and destroy: narrow a plan to one namespace or link of the
file and what depends on it, as Terraform's -target does.

A target is named as the file and `topo plan` name objects:
- `NAME` or `namespace:NAME`: a namespace of the file. What depends on it: everything inside
  it (interfaces, addresses, routes, sysctls, hosts file, processes), and the root ends of its
  veths with their addresses, bridge ports and the root routes over them.
- `NS:IF`, `link:NS:IF` or `link:IF` (a link of the root namespace, such as a bridge): one
  link. What depends on it: its veth peer, their addresses and the routes over them.
What the target itself depends on (a bridge its veths are ports of) is not added: apply that
first, or apply without --target. Pure: it never talks to the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from .core.keys import AddressKey, FdbKey, LinkKey, NetnsKey, ObjectKey
from .core.plan import Action, Conflict, Plan
from .model import IPNetwork, Netns, Node, Route
from .state import LabRecord

ROOT = "(root)"


class UnknownTarget(ValueError):
    """The target names nothing of the file."""


@dataclass(frozen=True)
class Target:
    """One object of the file and the links that belong to it."""

    spec: str  # as the user gave it
    namespaces: frozenset[str]  # the namespaces the target is (empty for a link)
    links: frozenset[LinkKey]  # the target's links, and their veth peers
    subnets: frozenset[tuple[str | None, IPNetwork]] = frozenset()  # the links' subnets: routes via them
    own: LinkKey | None = None  # a link target: the link named

    def describe(self) -> str:
        if self.namespaces:
            return f"namespace {next(iter(self.namespaces))}"
        assert self.own is not None
        return f"link {self.own.netns or ROOT}:{self.own.name}"

    def keeps(self, action: Action) -> bool:
        """Whether `action` is about the target or something that depends on it."""
        if action.netns in self.namespaces or action.key in {NetnsKey(n) for n in self.namespaces}:
            return True
        if self.links.intersection(action.links) or _on_links(action.key, self.links):
            return True
        return _route_over(action, self.links, self.subnets)

    def keeps_conflict(self, conflict: Conflict) -> bool:
        return conflict.netns in self.namespaces or conflict.netns in {k.netns for k in self.links}

    def narrow(self, plan: Plan, before: LabRecord | None = None) -> Plan:
        """The plan's actions and conflicts about the target. The record it leaves names only
        the namespaces the lab had (`before`) and the target's."""
        actions = [a for a in plan.actions if self.keeps(a)]
        conflicts = [c for c in plan.conflicts if self.keeps_conflict(c)]
        record = plan.record
        if record is not None:
            had = set(before.namespaces) if before is not None else set()
            record = record.copy()
            record.namespaces = [n for n in record.namespaces if n in had or n in self.namespaces]
        return replace(plan, actions=actions, conflicts=conflicts, record=record)

    def record_after_destroy(self, record: LabRecord) -> LabRecord:
        """The lab's record once the target is destroyed: the rest of the lab stays the lab's."""
        rec = record.copy()
        rec.namespaces = [n for n in rec.namespaces if n not in self.namespaces]
        rec.netns_ids = {n: i for n, i in rec.netns_ids.items() if n not in self.namespaces}
        rec.verified = {}  # the kinds compare again next time
        return rec


def _on_links(key: ObjectKey | None, links: frozenset[LinkKey]) -> bool:
    return isinstance(key, (AddressKey, FdbKey)) and LinkKey(key.netns, key.ifname) in links


def _route_over(action: Action, links: frozenset[LinkKey], subnets: frozenset[tuple[str | None, IPNetwork]]) -> bool:
    """A route whose device is one of `links`, or whose gateway is on one of their subnets."""
    route = getattr(action.payload, "route", None)
    if not isinstance(route, Route):
        return False
    if route.dev is not None:
        return LinkKey(action.netns, route.dev) in links
    return route.via is not None and any(ns == action.netns and route.via in net for ns, net in subnets)


def _subnets(node: Node, links: Iterable[LinkKey]) -> frozenset[tuple[str | None, IPNetwork]]:
    out = set()
    for k in links:
        ns = node.root if k.netns is None else node.namespaces.get(k.netns)
        iface = ns.interfaces.get(k.name) if ns is not None else None
        out.update((k.netns, a.network) for a in (iface.addresses if iface is not None else ()))
    return frozenset(out)


def _peers(ns: Netns, names: Iterable[str]) -> set[LinkKey]:
    out = set()
    for name in names:
        iface = ns.interfaces[name]
        out.add(LinkKey(ns.place.netns, name))
        if iface.peer is not None:
            out.add(LinkKey(iface.peer.place.netns, iface.peer.ifname))
    return out


def resolve(node: Node, spec: str) -> Target:
    """The target `spec` names in node `node`'s part of the file; UnknownTarget if none."""
    kind, _, rest = spec.partition(":") if spec.split(":", 1)[0] in ("namespace", "link") else ("", "", spec)
    name = rest
    if kind in ("", "namespace") and ":" not in name and name in node.namespaces:
        ns = node.namespaces[name]
        links = frozenset(_peers(ns, ns.interfaces))
        return Target(spec, frozenset({name}), links, _subnets(node, links))
    if kind in ("", "link"):
        where, sep, ifname = name.rpartition(":")
        ns = node.root if where in ("", ROOT) else node.namespaces.get(where)
        if ns is not None and ifname in ns.interfaces and (sep or kind == "link" or name not in node.namespaces):
            links = frozenset(_peers(ns, [ifname]))
            return Target(spec, frozenset(), links, _subnets(node, links), LinkKey(ns.place.netns, ifname))
    raise UnknownTarget(_unknown(node, spec))


def _unknown(node: Node, spec: str) -> str:
    names = sorted(node.namespaces)
    root = sorted(node.root.interfaces)
    return (f"--target {spec!r} names no namespace or link of the file (namespaces: {', '.join(names) or 'none'}; "
            f"root links: {', '.join(root) or 'none'}; a namespace's link: NS:IF, e.g. "
            f"{names[0] + ':' + next(iter(node.namespaces[names[0]].interfaces), 'eth0') if names else 'pod:eth0'})")


def partial_warning(target: Target) -> str:
    """What every targeted run says, as Terraform does."""
    return (f"warning: --target {target.spec}: the plan is partial (only {target.describe()} and what depends on it); "
            "the rest of the lab may not match the file: run plan without --target to see it")

