"""How a diagram draws macvlans (root-free): a circle `macvlan NAME` with its parent and mode,
and a dashed line labelled `macvlan` to its parent when the diagram has the parent."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.loader import load_text
from provisioner.render.graph import build_diagram, to_dot, to_mermaid
from provisioner.validate import load_topology, validate_document

LAB = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "macvlan-lab.yaml"


def test_each_macvlan_is_drawn_with_its_parent_and_mode() -> None:
    diagram = build_diagram(load_topology(LAB))
    text = to_mermaid(diagram)
    assert 'n_host_root_mv_2d_host(("macvlan mv-host<br>on br-mv, vepa<br>mtu 1450"))' in text
    assert 'n_host_pod_2d_a_eth0(("macvlan eth0<br>on br-mv, bridge<br>10.50.0.11/24<br>mtu 1400"))' in text
    lines = [(e.a, e.b, e.kind) for e in diagram.edges if e.label == "macvlan"]
    assert lines == [("n_host_root_mv_2d_host", "n_host_root_br_2d_mv", "port"),
                     ("n_host_pod_2d_a_eth0", "n_host_root_br_2d_mv", "port"),
                     ("n_host_pod_2d_b_eth0", "n_host_root_br_2d_mv", "port")]
    assert '  n_host_pod_2d_b_eth0 -- n_host_root_br_2d_mv [label="macvlan", style=dashed];' in to_dot(diagram)


def test_a_parent_the_diagram_lacks_has_no_line() -> None:
    model = validate_document(load_text("t.yaml", "name: lab\nnamespaces: {pod: {}}\nmacvlans:\n"
                                        "  - {at: 'pod:eth0', parent: eth0, up: false}\n")).topology
    assert model is not None
    diagram = build_diagram(model)
    assert diagram.edges == [] and '(("macvlan eth0<br>on eth0, bridge<br>down"))' in to_mermaid(diagram)


def test_the_mermaid_line_says_macvlan() -> None:
    assert "  n_host_pod_2d_a_eth0 -.-|macvlan| n_host_root_br_2d_mv" in to_mermaid(build_diagram(load_topology(LAB)))
