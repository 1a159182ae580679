"""The netns builder: nodes, their root namespaces and the lab's namespaces (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.validate import validate_document

TWO_NODES = "name: lab\nnodes:\n  n1: {host: 192.0.2.1}\n  n2: {host: 192.0.2.2}\n"


def problems(text: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_namespaces_are_placed_on_the_only_node_or_their_node() -> None:
    one = validate_document(load_text("t.yaml", "name: lab\nnamespaces: {a: {description: pod}}\n")).topology
    assert one is not None and one.implicit_node and list(one.nodes) == ["host"]
    assert one.nodes["host"].namespaces["a"].description == "pod" and one.nodes["host"].root.place.netns is None
    two = validate_document(load_text("t.yaml", TWO_NODES + "namespaces: {a: {node: n2}}\n")).topology
    assert two is not None and not two.implicit_node
    assert list(two.nodes["n2"].namespaces) == ["a"] and not two.nodes["n1"].namespaces


def test_top_level_and_node_settings_merge_into_every_root_namespace() -> None:
    text = TWO_NODES.replace("n2: {host: 192.0.2.2}", "n2: {host: 192.0.2.2, sysctls: {net.ipv4.ip_forward: 0}}")
    topo = validate_document(load_text("t.yaml", text + "sysctls: {net.ipv4.ip_forward: 1}\n")).topology
    assert topo is not None
    assert topo.nodes["n1"].root.sysctls == {"net.ipv4.ip_forward": "1"}
    assert topo.nodes["n2"].root.sysctls == {"net.ipv4.ip_forward": "0"}


@pytest.mark.parametrize("text,path,fragment", [
    ("name: lab\nnamespaces: {.a: {}}\n", "namespaces..a", "'.a'"),
    (TWO_NODES + "namespaces: {a: {}}\n", "namespaces.a", "several nodes; say which one"),
    (TWO_NODES + "namespaces: {a: {node: n3}}\n", "namespaces.a.node", "unknown node 'n3'"),
    (TWO_NODES + "namespaces: {n1: {node: n1}}\n", "namespaces.n1", "already the name of a node"),
    ("name: lab\nnamespaces: {a: {node: n1}}\n", "namespaces.a.node", "unknown node 'n1'"),
])
def test_refused_namespaces(text: str, path: str, fragment: str) -> None:
    found = problems(text)
    assert any(p == path and fragment in m for p, m in found), found
