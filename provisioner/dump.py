"""Dump layer: desired model -> topology data in topo's own file format.

`dump_topology(topo)` is the inverse of `desired.build_topology`: for every model the builder
makes, `build_topology(dump_topology(t)) == t`. The output is canonical and short: defaults are
left out (`up: true`, an empty list, VXLAN port 4789), each setting is written in one place (a
namespace's end of a veth pair under its `interfaces:`, a root-namespace end as an `{at: ...}`
mapping, an MTU both ends share as the link's `mtu:`). In a multi-node lab bridges are written
under their node (`nodes.NODE.bridges`: several nodes may have a bridge of one name), and what
every node's root namespace has in common (routes, sysctls, hosts) once at the top level. A
process without env, user or description is its command line; a check leaves out the name topo would
give it. `dump_yaml` renders the data as a file `topo` reads back as is (also when a free-text
value contains Jinja2 markers such as `{{`).

Each kind writes its own part (`provisioner/kinds/<kind>/dump.py`); this core writes the lab's
name, description and nodes and puts the kinds' parts together in the file's key order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, TypeVar

import yaml

from .kinds.link.dump import settings
from .model import Interface, Netns, Node, Place, Topology

Data = dict[str, Any]
V = TypeVar("V")


def kinds() -> list[ModuleType]:
    """The kinds that write a part of the file (`provisioner/kinds/<kind>/dump.py`), in registry
    order. A kind writes its part of the top
    level (`document(ctx)`), of a node's entry (`node(ctx, node)`) and of a namespace's entry
    (`namespace(ctx, ns)`), each where it has one; an interface kind (`KIND`, its name) may say what a
    namespace's `interfaces:` write of its interfaces (`interface(ctx, iface)`; else the settings
    every interface has). A setting of namespaces (`values(ns)`, written by `section(values)`) is
    written for each namespace, and what every node's root namespace has of it (a list's common
    beginning, a mapping's common entries) once at the top level, each node's rest under the node."""
    from .kinds.registry import REGISTRY

    return REGISTRY.modules("dump")


def key_order() -> dict[str, list[str]]:
    """The published schema's key order at the top level, in a node and in a namespace: the
    parts are written in it (keys it does not list go after, in registry order)."""
    from .schema_build import CORE_FRAGMENT

    slots = json.loads(CORE_FRAGMENT.read_text())["slots"]
    return {level: slots[slot].get("order", []) for level, slot in (("document", "top"), ("node", "node"), ("namespace", "namespace"))}


def _in_order(data: Data, order: list[str]) -> Data:
    rank = {key: i for i, key in enumerate(order)}
    return dict(sorted(data.items(), key=lambda item: rank.get(item[0], len(rank))))


_JINJA_START = re.compile(r"\{(?=[{%#])")
_JINJA_LITERAL_BRACE = "{{ '{' }}"

Owner = Node | Netns | None  # where a part is written: a node's entry, a namespace's, the top level


def _common(values: list[Any]) -> Any:
    """What all of `values` (lists or mappings) have: a list's common beginning, a mapping's common entries."""
    first, others = values[0], values[1:]
    if isinstance(first, dict):
        return {k: v for k, v in first.items() if all(k in d and d[k] == v for d in others)}
    n = 0
    while n < len(first) and all(n < len(other) and other[n] == first[n] for other in others):
        n += 1
    return first[:n]


def _rest(value: Any, common: Any) -> Any:
    """What `value` has beyond `common` (its part of `_common`)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in common}
    return value[len(common):]


@dataclass(frozen=True)
class DumpContext:
    """The topology being written; the kinds' parts ask it for the entries other kinds share."""

    topo: Topology
    kinds: tuple[ModuleType, ...] = field(default_factory=lambda: tuple(kinds()))  # found once a dump
    order: dict[str, list[str]] = field(default_factory=lambda: key_order())

    @property
    def multi_node(self) -> bool:
        return len(self.topo.nodes) > 1

    def placed(self, place: Place) -> Data:
        """The `node:` of an entry (a one-node lab has none)."""
        return {"node": place.node} if self.multi_node else {}

    def document(self) -> Data:
        topo = self.topo
        doc: Data = {"name": topo.name}
        if topo.description is not None:
            doc["description"] = topo.description
        if not topo.implicit_node:
            doc["nodes"] = {name: self.node(node) for name, node in topo.nodes.items()}
        return doc | self._parts("document", None)

    def node(self, node: Node) -> Data:
        out: Data = {}
        for key in ("host", "user"):
            if getattr(node, key) is not None:
                out[key] = getattr(node, key)
        if node.underlay is not None:
            out["underlay"] = str(node.underlay)
        return out | self._parts("node", node)

    def namespace(self, ns: Netns) -> Data:
        return self._parts("namespace", ns)

    def interface(self, iface: Interface) -> Data:
        """What a namespace's `interfaces:` write of one of its interfaces (nothing: left out)."""
        for kind in self.kinds:
            if getattr(kind, "KIND", None) == iface.kind and hasattr(kind, "interface"):
                return kind.interface(self, iface)  # type: ignore[no-any-return]
        return settings(iface)

    def _parts(self, level: str, owner: Owner) -> Data:
        out: Data = {}
        for kind in self.kinds:
            if hasattr(kind, "section"):
                out.update(kind.section(self._setting(kind.values, owner)))
            if hasattr(kind, level):  # a kind may have both (routes: `routes:` and the top's `tables:`)
                out.update(getattr(kind, level)(self, *(() if owner is None else (owner,))))
        return _in_order(out, self.order[level])

    def _setting(self, values: Callable[[Netns], V], owner: Owner) -> V:
        """A namespace's setting; at the top level what every node's root namespace has of it,
        for a node the rest of its root namespace's."""
        if isinstance(owner, Netns):
            return values(owner)
        common = _common([values(node.root) for node in self.topo.nodes.values()])
        return common if owner is None else _rest(values(owner.root), common)  # type: ignore[no-any-return]


def dump_topology(topo: Topology) -> Data:
    """The topology as data in topo's file format (what `build_topology` accepts), defaults left out."""
    return DumpContext(topo).document()


def escape_template(text: str) -> str:
    """Text that Jinja2 renders back to `text`: every `{` that would open a `{{`, `{%` or `{#`
    becomes the expression `{{ '{' }}` (topo renders a file with such markers as a template)."""
    return _JINJA_START.sub(_JINJA_LITERAL_BRACE, text)


def dump_yaml(topo: Topology) -> str:
    """The topology as a YAML file that `topo` loads back to an equal model."""
    text = yaml.safe_dump(dump_topology(topo), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return escape_template(text)
