"""The diagram of `render/graph.py` for browsers: Cytoscape.js elements placed by Graphviz.

The same `Diagram` that `topo graph` writes as Mermaid or DOT becomes Cytoscape elements
(clusters are compound nodes); Graphviz (`dot -Tjson` of the DOT text) places them, so the
page, `--format html` and `--format svg|png` (`dot -Tsvg|-Tpng`) show one drawing. Without
Graphviz the page lays the elements out itself (Cytoscape's `cose`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..diagnostics import TopoError
from ..model import Topology
from .graph import Cluster, Diagram, build_diagram, to_dot

DOT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Drawing:
    """A lab's diagram as the page draws it: Cytoscape elements, with positions when Graphviz placed them."""

    lab: str
    elements: list[dict[str, Any]]
    placed: bool

    def to_json(self) -> dict[str, Any]:
        return {"lab": self.lab, "elements": self.elements, "placed": self.placed}


def edge_id(index: int, a: str, b: str) -> str:
    return f"e{index}_{a}__{b}"


def _cluster_elements(c: Cluster, parent: str | None, out: list[dict[str, Any]]) -> None:
    out.append({"group": "nodes", "classes": f"cluster {c.style}",
                "data": {"id": c.id, "label": c.label, "parent": parent, "kind": "cluster"}})
    for n in c.nodes:
        out.append({"group": "nodes", "classes": f"{n.shape} {n.style}",
                    "data": {"id": n.id, "label": "\n".join(n.lines), "parent": c.id, "kind": n.shape}})
    for child in c.children:
        _cluster_elements(child, c.id, out)


def to_elements(d: Diagram) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in d.clusters:
        _cluster_elements(c, None, out)
    for i, e in enumerate(d.edges):
        out.append({"group": "edges", "classes": e.kind,
                    "data": {"id": edge_id(i, e.a, e.b), "source": e.a, "target": e.b, "label": e.label, "kind": e.kind}})
    return out


def _dot(fmt: str, text: str) -> bytes:
    """Graphviz's output for DOT `text` (`dot -T<fmt>`); a TopoError when it is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise TopoError("error: Graphviz's `dot` is not installed (Debian: apt-get install graphviz); "
                        "it draws the svg and png diagrams")
    try:
        res = subprocess.run([exe, f"-T{fmt}"], input=text.encode(), capture_output=True, timeout=DOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise TopoError(f"error: Graphviz's dot took over {DOT_TIMEOUT:.0f} s to draw the diagram")
    if res.returncode != 0:
        raise TopoError(f"error: Graphviz's dot failed: {res.stderr.decode(errors='replace').strip()}")
    return res.stdout


def _positions(dot_json: bytes) -> dict[str, tuple[float, float]]:
    """Where dot put each node (in Cytoscape's coordinates: y grows downwards)."""
    doc = json.loads(dot_json)
    out = {}
    for obj in doc.get("objects", []):
        pos = obj.get("pos")
        if pos and "name" in obj:
            x, y = (float(v) for v in pos.split(","))
            out[obj["name"]] = (x * 1.4, -y * 1.4)  # a little more room: Cytoscape's labels are larger
    return out


def drawing(topo: Topology) -> Drawing:
    d = build_diagram(topo)
    elements = to_elements(d)
    try:
        places = _positions(_dot("json", to_dot(d)))
    except (TopoError, ValueError):
        places = {}
    for el in elements:
        pos = places.get(el["data"]["id"])
        if pos is not None and el["data"]["kind"] != "cluster":
            el["position"] = {"x": pos[0], "y": pos[1]}
    return Drawing(topo.name, elements, placed=bool(places))


def render_image(topo: Topology, fmt: str) -> bytes:
    """The diagram as SVG or PNG, drawn by Graphviz from `topo graph --format dot`'s text."""
    return _dot(fmt, to_dot(build_diagram(topo)))


def static_asset(name: str) -> str:
    return resources.files("provisioner.ui").joinpath("static", name).read_text(encoding="utf-8")


def render_html(topo: Topology) -> str:
    """One self-contained HTML file (Cytoscape, the page's script and styles inlined): the
    page's drawing of the lab, without its live state."""
    data = json.dumps(drawing(topo).to_json()).replace("</", "<\\/")
    page = static_asset("index.html")
    inline = (f"<style>{static_asset('style.css')}</style>\n"
              f"<script>{static_asset('vendor/cytoscape.min.js')}</script>\n"
              f"<script>window.TOPO_STATIC = {data};</script>\n"
              f"<script>{static_asset('app.js')}</script>")
    head, _, rest = page.partition("<!-- assets -->")
    _, _, tail = rest.partition("<!-- /assets -->")
    return head + inline + tail
