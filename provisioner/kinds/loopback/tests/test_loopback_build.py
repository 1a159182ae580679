"""The loopback builder: every namespace has `lo`, set from its `interfaces:` (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.model import Kind
from provisioner.validate import validate_document


def built(text: str):  # type: ignore[no-untyped-def]
    return validate_document(load_text("t.yaml", text))


@pytest.mark.parametrize("settings,up,addresses", [
    ("", True, ()),
    ("interfaces: {lo: {up: false}}", False, ()),
    ("interfaces: {lo: {addresses: ['::1/128', 10.9.0.1/32]}}", True, ("::1/128", "10.9.0.1/32")),
])
def test_lo_of_a_namespace(settings: str, up: bool, addresses: tuple[str, ...]) -> None:
    topo = built(f"name: lab\nnamespaces: {{a: {{{settings}}}}}\n").topology
    assert topo is not None
    lo = topo.nodes["host"].namespaces["a"].interfaces["lo"]
    assert lo.kind == Kind.LOOPBACK and lo.up is up and tuple(map(str, lo.addresses)) == addresses


def test_a_root_namespace_has_no_lo_of_the_lab() -> None:
    topo = built("name: lab\nnamespaces: {a: {}}\n").topology
    assert topo is not None and "lo" not in topo.nodes["host"].root.interfaces


def test_ipv6_loopback_address_belongs_on_lo_only() -> None:
    text = "name: lab\nnamespaces: {a: {interfaces: {eth0: {addresses: ['::1/128']}}}}\nlinks: [{a: a:eth0, b: host:v}]\n"
    found = [(format_path(d.path), d.message) for d in built(text).diagnostics]
    assert found == [("namespaces.a.interfaces.eth0.addresses[0]",
                      "::1/128 is the IPv6 loopback address; Linux allows it on `lo` only")]
