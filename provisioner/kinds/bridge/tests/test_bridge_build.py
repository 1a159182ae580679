"""The bridge builder: top-level bridges and bridges under nodes, and their ports (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.model import Kind
from provisioner.validate import validate_document

NODES = "name: lab\nnodes: {n1: {}, n2: {}}\n"


def problems(text: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_a_bridge_and_its_port() -> None:
    text = ("name: lab\nbridges: {br0: {addresses: [10.0.0.1/24], mtu: 1400}}\n"
            "namespaces: {a: {}}\nlinks: [{a: a:eth0, b: br0:v-a, mtu: 1400}]\n")
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None
    root = topo.nodes["host"].root
    assert root.interfaces["br0"].kind == Kind.BRIDGE and root.interfaces["br0"].mtu == 1400
    assert root.interfaces["v-a"].master == "br0" and root.interfaces["v-a"].kind == Kind.VETH


def test_one_name_on_several_nodes() -> None:
    text = NODES.replace("n1: {}, n2: {}", "n1: {bridges: {br: {}}}, n2: {bridges: {br: {}}}")
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None and all("br" in topo.nodes[n].root.interfaces for n in ("n1", "n2"))


@pytest.mark.parametrize("text,expected", [
    ("name: lab\nbridges: {lo: {}}\n", ("bridges.lo", "'lo' is the loopback interface's name")),
    ("name: lab\nnamespaces: {br: {}}\nbridges: {br: {}}\n", ("bridges.br", "'br' is already the name of a namespace or node")),
    (NODES + "bridges: {br: {}}\n", ("bridges.br", "the lab has several nodes; say which one with `node:`")),
    ("name: lab\nnodes: {n1: {bridges: {br: {node: n2}}}, n2: {}}\n",
     ("nodes.n1.bridges.br.node", "bridge br is declared under node n1")),
    ("name: lab\nnodes: {n1: {bridges: {br: {}}}}\nbridges: {br: {node: n1}}\n", ("nodes.n1.bridges.br", "node n1 already has a bridge br")),
])
def test_refused_bridges(text: str, expected: tuple[str, str]) -> None:
    assert problems(text) == [expected]
