"""Diagrams: every example renders with the real renderers (Graphviz `dot -Tsvg`, and
mermaid-cli with Debian's chromium); the text is deterministic, ids are safe, labels escaped."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES
from sandbox import REPO, TOPO
from provisioner.render.graph import build_diagram, render_graph, to_mermaid
from provisioner.validate import load_topology

MMDC = REPO / "tools" / "mermaid" / "node_modules" / ".bin" / "mmdc"
PUPPETEER = REPO / "tools" / "mermaid" / "puppeteer-config.json"
IDS = [p.name for p in EXAMPLES]


def mmdc(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MMDC), "-p", str(PUPPETEER), "-i", str(source), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_dot_renders(path: Path) -> None:
    dot = render_graph(load_topology(path), "dot")
    res = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    assert "<svg" in res.stdout and "Warning" not in res.stderr


def test_mermaid_renders_every_example(tmp_path: Path) -> None:
    # one markdown file with every example's diagram: one chromium start for all of them
    md = tmp_path / "all.md"
    md.write_text("".join(f"```mermaid\n{render_graph(load_topology(p))}```\n\n" for p in EXAMPLES))
    res = mmdc(md, tmp_path / "out.md")
    assert res.returncode == 0, res.stderr
    svgs = sorted(tmp_path.glob("out-*.svg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))  # out-2 before out-10
    assert len(svgs) == len(EXAMPLES)
    for path, svg in zip(EXAMPLES, svgs):
        text = svg.read_text()
        for ns in (ns for node in load_topology(path).nodes.values() for ns in node.namespaces):
            assert ns in text, f"{ns} missing from the rendered diagram of {path.name}"


def test_broken_mermaid_fails_the_renderer(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmd"
    bad.write_text("graph LR\n  a((x)) ===|veth b\n  subgraph\n")
    assert mmdc(bad, tmp_path / "bad.svg").returncode != 0


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_every_veth_and_port_drawn_once(path: Path) -> None:
    topo = load_topology(path)
    diagram = build_diagram(topo)
    veths = [e for e in diagram.edges if e.kind == "veth"]
    assert len(veths) == len(topo.veths) == len({(e.a, e.b) for e in veths})
    ports = sum(1 for ns in topo.all_netns() for i in ns.interfaces.values() if i.master)
    assert len([e for e in diagram.edges if e.kind == "port"]) == ports


def test_ids_are_safe_and_labels_escaped(tmp_path: Path) -> None:
    lab = tmp_path / "odd.yaml"
    lab.write_text('name: odd\nnamespaces:\n  "we.ird-ns_1":\n    description: \'a "quoted" <pod>\'\n'
                   "    interfaces: {eth0: {addresses: [10.0.0.2/24]}}\n"
                   "links:\n  - {a: \"we.ird-ns_1:eth0\", b: host:veth.x-1}\n")
    text = render_graph(load_topology(lab))
    ids = re.findall(r"^\s*(?:subgraph )?(n_\S*?)(?:\[|\(\(|\{\{)", text, flags=re.M)
    assert len(ids) >= 4 and all(re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids), ids
    assert '"quoted"' not in text and "#quot;quoted#quot;" in text and "#lt;pod#gt;" in text
    (tmp_path / "odd.mmd").write_text(text)
    res = mmdc(tmp_path / "odd.mmd", tmp_path / "odd.svg")
    assert res.returncode == 0, res.stderr


def test_output_is_deterministic() -> None:
    for path in EXAMPLES:
        topo = load_topology(path)
        assert render_graph(topo) == render_graph(load_topology(path))
        assert to_mermaid(build_diagram(topo)).startswith("graph LR\n")


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_cli_graph(fmt: str) -> None:
    res = subprocess.run([TOPO, "graph", "--format", fmt, str(EXAMPLES[4])], capture_output=True, text=True)
    assert res.returncode == 0 and ("graph LR" in res.stdout if fmt == "mermaid" else "graph topology {" in res.stdout)
