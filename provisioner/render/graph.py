"""Diagrams of a topology, in the style of the seed lessons' mermaid diagrams.

The model is first turned into a neutral `Diagram` (clusters holding nodes, and edges); each
kind of interface says how its interfaces and the lines between them are drawn
(`provisioner/kinds/<kind>/graph.py`). Two small emitters write the diagram as Mermaid
(`graph LR`, subgraphs, `((interface))` circles, `===|veth|` links, classDef colours) or as
Graphviz DOT (`cluster_` subgraphs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable

from ..kinds.link import graph as link
from ..model import EndRef, Netns, Topology


@dataclass(frozen=True)
class DNode:
    id: str
    lines: tuple[str, ...]
    shape: str  # "circle" (interface), "hexagon" (bridge), "rect" (a Service, a policy)
    style: str  # classDef name


@dataclass
class Cluster:
    id: str
    label: str
    style: str
    nodes: list[DNode] = field(default_factory=list)
    children: list["Cluster"] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    label: str
    kind: str  # "veth", "port", "tunnel" or "service" (a Service or policy to a pod)


@dataclass
class Diagram:
    clusters: list[Cluster]
    edges: list[Edge]


STYLES = {  # the seeds' classDef colours
    "node": ("#ff9966", "orange"),
    "root": ("#99ff66", "green"),
    "netns": ("#ffff33", "yellow"),
    "iface": ("#00ffff", "cyan"),
    "bridge": ("#00aaff", "blue2"),
    "lo": ("#ffccff", "lavender"),
    "services": ("#eeeeee", "grey"),
    "service": ("#ffffff", "white"),
}


def kinds() -> list[ModuleType]:
    """The kinds of interface a diagram draws (`provisioner/kinds/<kind>/graph.py`, each with
    its `KIND`), in the order of their lines (`WIRES`, then registry order)."""
    from ..kinds.registry import REGISTRY

    drawn = [m for m in REGISTRY.modules("graph") if hasattr(m, "KIND")]
    return sorted(drawn, key=lambda m: getattr(m, "WIRES", len(drawn)))


def _id(*parts: str | None) -> str:
    raw = "_".join(p if p is not None else "root" for p in parts)
    return "n_" + re.sub(r"[^A-Za-z0-9_]", lambda m: f"_{ord(m.group()):x}_", raw)


def netns_id(node: str, netns: str | None) -> str:
    """The id of a namespace's box in a diagram (None: the node's root namespace)."""
    return _id(node, netns)


def iface_id(node: str, netns: str | None, ifname: str) -> str:
    """The id of an interface's shape in a diagram."""
    return _id(node, netns, ifname)


def _kind(drawn: dict[str, ModuleType], name: str) -> ModuleType:
    """The graph module of a kind of interface (a kind without one is drawn as any interface is)."""
    return drawn.get(name, link)


def _end_id(end: EndRef) -> str:
    return _id(end.place.node, end.place.netns, end.ifname)


def _netns_cluster(drawn: dict[str, ModuleType], ns: Netns) -> Cluster:
    node, name = ns.place.node, ns.place.netns
    if name is None:
        label = f"{node} (root namespace)"
        cluster = Cluster(_id(node, None), label, "root")
    else:
        label = name + (f": {ns.description}" if ns.description else "")
        cluster = Cluster(_id(node, name), label, "netns")
    for iface in sorted(ns.interfaces.values(), key=lambda i: (_kind(drawn, i.kind).RANK, i.kind, i.name)):
        kind = _kind(drawn, iface.kind)
        lines = kind.lines(ns, iface)
        if lines is not None:
            cluster.nodes.append(DNode(_id(node, name, iface.name), lines, kind.SHAPE, kind.STYLE))
    return cluster


def build_diagram(topo: Topology) -> Diagram:
    modules = kinds()  # found once a diagram
    drawn = {m.KIND: m for m in modules}
    clusters: list[Cluster] = []
    for node in sorted(topo.nodes.values(), key=lambda n: n.name):
        inner = [_netns_cluster(drawn, node.root)] + [_netns_cluster(drawn, ns) for _, ns in sorted(node.namespaces.items())]
        inner = [c for c in inner if c.nodes or c.style != "root"]  # no empty box for a bare node
        if topo.single_node:
            clusters += inner
        else:
            label = node.name + (f" ({node.host})" if node.host else "")
            clusters.append(Cluster(_id(node.name), label, "node", children=inner))
    edges = [Edge(_end_id(w.a), _end_id(w.b), w.label, w.kind) for kind in modules for w in kind.wires(topo)]
    _boxes(topo, clusters, edges)
    return Diagram(clusters, edges)


def _boxes(topo: Topology, clusters: list[Cluster], edges: list[Edge]) -> None:
    """What kinds draw beside the namespaces (Services, policies: `boxes(topo)` in their
    graph.py), in one box of the lab's, each with its lines to the interfaces it reaches."""
    from ..kinds.registry import REGISTRY

    drawn = [b for m in REGISTRY.modules("graph") if hasattr(m, "boxes") for b in m.boxes(topo)]
    if not drawn:
        return
    box = Cluster(_id("lab", topo.name, "services"), f"lab {topo.name}: Services and policies", "services")
    for b in drawn:
        node_id = _id("box", b.name)
        box.nodes.append(DNode(node_id, b.lines, "rect", "service"))
        edges += [Edge(node_id, _end_id(end), label, "service") for end, label in b.to]
    clusters.append(box)


# ---- Mermaid --------------------------------------------------------------------------------
def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _mermaid_node(n: DNode) -> str:
    label = "<br>".join(_mermaid_text(line) for line in n.lines)
    open_, close = {"circle": ("((", "))"), "hexagon": ("{{", "}}"), "rect": ("[", "]")}[n.shape]
    return f'{n.id}{open_}"{label}"{close}'


def _mermaid_cluster(c: Cluster, out: list[str], depth: int) -> None:
    pad = "  " * depth
    out.append(f'{pad}subgraph {c.id}["{_mermaid_text(c.label)}"]')
    for n in c.nodes:
        out.append(f"{pad}  {_mermaid_node(n)}")
    for child in c.children:
        _mermaid_cluster(child, out, depth + 1)
    out.append(f"{pad}end")


def to_mermaid(d: Diagram) -> str:
    out = ["graph LR"]
    for c in d.clusters:
        _mermaid_cluster(c, out, 1)
    for e in d.edges:
        label = e.label if e.label.replace(" ", "").isalnum() else f'"{_mermaid_text(e.label)}"'
        out.append({"veth": f"  {e.a} ===|{label}| {e.b}", "port": f"  {e.a} -.-|{label}| {e.b}",
                    "service": f'  {e.a} -.->|"{_mermaid_text(e.label)}"| {e.b}'}.get(
            e.kind, f'  {e.a} ---|"{_mermaid_text(e.label)}"| {e.b}'))
    for _, (colour, name) in STYLES.items():
        width = 2 if name in ("yellow", "green", "orange") else 4
        out.append(f"  classDef {name} fill:{colour},stroke:#333,stroke-width:{width}px;")
    members: dict[str, list[str]] = {}

    def collect(c: Cluster) -> None:
        members.setdefault(STYLES[c.style][1], []).append(c.id)
        for n in c.nodes:
            members.setdefault(STYLES[n.style][1], []).append(n.id)
        for child in c.children:
            collect(child)

    for c in d.clusters:
        collect(c)
    for name in sorted(members):
        out.append(f"  class {','.join(members[name])} {name};")
    return "\n".join(out) + "\n"


# ---- DOT ------------------------------------------------------------------------------------
def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_cluster(c: Cluster, out: list[str], depth: int) -> None:
    pad = "  " * depth
    out.append(f"{pad}subgraph cluster_{c.id} {{")
    out.append(f'{pad}  label="{_dot_text(c.label)}"; style="filled,rounded"; fillcolor="{STYLES[c.style][0]}";')
    for n in c.nodes:
        label = "\\n".join(_dot_text(line) for line in n.lines)
        shape = {"circle": "ellipse", "hexagon": "hexagon", "rect": "box"}[n.shape]
        out.append(f'{pad}  {n.id} [label="{label}", shape={shape}, style=filled, fillcolor="{STYLES[n.style][0]}"];')
    for child in c.children:
        _dot_cluster(child, out, depth + 1)
    out.append(f"{pad}}}")


def to_dot(d: Diagram) -> str:
    out = ["graph topology {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for c in d.clusters:
        _dot_cluster(c, out, 1)
    for e in d.edges:
        style = {"veth": "bold", "port": "dashed", "service": "dashed"}.get(e.kind, "dotted")
        out.append(f'  {e.a} -- {e.b} [label="{_dot_text(e.label)}", style={style}];')
    out.append("}")
    return "\n".join(out) + "\n"


EMITTERS: dict[str, Callable[[Diagram], str]] = {"mermaid": to_mermaid, "dot": to_dot}


def render_graph(topo: Topology, fmt: str = "mermaid") -> str:
    return EMITTERS[fmt](build_diagram(topo))
