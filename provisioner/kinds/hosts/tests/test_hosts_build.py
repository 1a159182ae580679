"""The hosts builder (root-free)."""

from __future__ import annotations

import ipaddress

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.validate import validate_document


@pytest.mark.parametrize("where,hosts,expected", [
    ("namespaces: {a: {hosts: %s}}", "{web: 10.0.0.5}", {"web": ("10.0.0.5",)}),
    ("namespaces: {a: {hosts: %s}}", "{web: [10.0.0.5, 'fd00::5']}", {"web": ("10.0.0.5", "fd00::5")}),
])
def test_entries(where: str, hosts: str, expected: dict[str, tuple[str, ...]]) -> None:
    topo = validate_document(load_text("t.yaml", "name: lab\n" + where % hosts + "\n")).topology
    assert topo is not None
    want = {k: tuple(ipaddress.ip_address(a) for a in v) for k, v in expected.items()}
    assert topo.nodes["host"].namespaces["a"].hosts == want


def test_top_level_and_node_entries_merge_in_the_root_namespace() -> None:
    text = "name: lab\nhosts: {a: 10.0.0.1, b: 10.0.0.2}\nnodes: {n1: {hosts: {b: 10.0.0.3}}}\n"
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None
    assert topo.nodes["n1"].root.hosts == {"a": (ipaddress.ip_address("10.0.0.1"),), "b": (ipaddress.ip_address("10.0.0.3"),)}


@pytest.mark.parametrize("hosts,path,fragment", [
    ("{web: [10.0.0.5, 10.0.0.300]}", "hosts.web[1]", "invalid IP address '10.0.0.300'"),
    ("{'-web': 10.0.0.5}", "hosts.-web", "'-web'"),
])
def test_refused_entries(hosts: str, path: str, fragment: str) -> None:
    found = [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", f"name: lab\nhosts: {hosts}\n")).diagnostics]
    assert len(found) == 1 and found[0][0] == path and fragment in found[0][1], found
