"""The vxlan builder: one device per node of a segment, a port of its bridge (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.model import Kind, Vxlan
from provisioner.validate import validate_document

NODES = ("name: lab\nnodes:\n  n1: {underlay: 192.0.2.1/24, bridges: {br: {}}}\n"
         "  n2: {underlay: 192.0.2.2/24, bridges: {br: {}}}\n  n3: {bridges: {other: {}}}\n")


def problems(text: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_a_segment_on_two_nodes() -> None:
    topo = validate_document(load_text("t.yaml", NODES + "vxlans: {vx: {vni: 42, bridge: br, mtu: 1450}}\n")).topology
    assert topo is not None
    vx = topo.nodes["n1"].root.interfaces["vx"]
    assert (vx.kind, vx.master, vx.mtu) == (Kind.VXLAN, "br", 1450)
    assert vx.spec == Vxlan(42, 4789, vx.spec.local, (topo.nodes["n2"].underlay.ip,))  # type: ignore[union-attr]
    assert str(vx.spec.local) == "192.0.2.1" and "vx" not in topo.nodes["n3"].root.interfaces


@pytest.mark.parametrize("vxlan,expected", [
    ("{vni: 1, bridge: other}", [("vxlans.vx.bridge", "a VXLAN segment joins a bridge on two or more nodes; other is on n3")]),
    ("{vni: 1, bridge: br, nodes: [n1, n4]}", [("vxlans.vx.nodes[1]", "unknown node 'n4'"), ("vxlans.vx.bridge",
                                               "a VXLAN segment joins a bridge on two or more nodes; br is on n1, n2")]),
    ("{vni: 1, bridge: br, nodes: [n1, n2, n3]}", [("vxlans.vx.nodes[2]", "node n3 has no bridge br")]),
    ("{vni: 1, bridge: br, port: 4789.0}", [("vxlans.vx.port", "must be an integer, not 4789.0")]),
])
def test_refused_segments(vxlan: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(problems(NODES + f"vxlans: {{vx: {vxlan}}}\n")) == sorted(expected)  # validate sorts by line


def test_every_node_needs_an_underlay() -> None:
    text = NODES.replace("underlay: 192.0.2.2/24, ", "") + "vxlans: {vx: {vni: 1, bridge: br}}\n"
    assert problems(text) == [("vxlans.vx", "node n2 has no `underlay:` address for the VXLAN tunnel")]
