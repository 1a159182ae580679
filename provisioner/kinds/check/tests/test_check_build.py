"""The check builder and the check-target check (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.kinds.check.build import check_label
from provisioner.loader import load_text
from provisioner.model import Place
from provisioner.validate import validate_document

LAB = ("name: lab\nhosts: {web: 10.0.0.2}\nnamespaces: {a: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}}}\n"
       "links: [{a: a:eth0, b: host:v-a}]\nchecks: [%s]\n")


def validated(check: str):  # type: ignore[no-untyped-def]
    return validate_document(load_text("t.yaml", LAB % check))


@pytest.mark.parametrize("check,name,place,kind", [
    ("{from: a, to: 10.0.0.2}", "a -> 10.0.0.2 (ping)", Place("host", "a"), "icmp"),
    ("{from: host, to: web, port: 80, expect: failure}", "host -> web:80 fails", Place("host"), "tcp"),
    ("{from: a, resolve: web, address: 10.0.0.2, name: dns}", "dns", Place("host", "a"), "resolve"),
])
def test_built_checks(check: str, name: str, place: Place, kind: str) -> None:
    topo = validated(check).topology
    assert topo is not None and len(topo.checks) == 1
    made = topo.checks[0]
    assert (made.name, made.place, made.kind) == (name, place, kind)


def test_label() -> None:
    assert check_label("a", "web", None, True, False) == "a resolves web fails"


@pytest.mark.parametrize("check,path,fragment", [
    ("{from: b, to: 10.0.0.2}", "checks[0].from", "'b' is not a namespace or node of this lab"),
    ("{from: a, to: 10.0.0.2, resolve: web}", "checks[0]", "a check has either `to`"),
    ("{from: a, resolve: web, port: 53}", "checks[0].port", "`port` goes with `to`"),
    ("{from: a, to: 10.0.0.2, address: 10.0.0.2}", "checks[0].address", "`address` is the expected answer of `resolve`"),
    ("{from: a, to: 10.0.1}", "checks[0].to", "is an IPv4 address in a short form"),
    ("{from: a, to: 192.0.2.9}", "checks[0].to", "192.0.2.9 is not an address of the lab"),
    ("{from: host, to: localhost}", "checks[0].to", "localhost is the node's own loopback, not the lab's"),
])
def test_refused_checks(check: str, path: str, fragment: str) -> None:
    found = [(format_path(d.path), d.message) for d in validated(check).diagnostics]
    assert len(found) == 1 and found[0][0] == path and fragment in found[0][1], found


def test_external_target_is_allowed() -> None:
    assert validated("{from: a, to: 192.0.2.9, external: true}").ok
