"""Segment mistakes validation finds (issue 15, point 13): one subnet on two L2 segments of a
namespace (two root bridges, two pod interfaces), and a gateway that is the lab's address on
another segment than the route's interface (a pod moved to another bridge). Root-free."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import Severity, format_path
from provisioner.loader import load_text
from provisioner.validate import validate_document


def warnings(text: str) -> list[tuple[str, str]]:
    result = validate_document(load_text("t.yaml", text))
    return [(format_path(d.path), d.message) for d in result.diagnostics if d.severity is Severity.WARNING]


TWO_BRIDGES = """\
name: lab
bridges:
  br-a: {addresses: [10.7.0.1/24]}
  br-b: {addresses: [10.7.0.2/24]}
"""

TWO_PORTS = """\
name: lab
namespaces:
  a: {interfaces: {eth0: {addresses: [10.8.0.2/24]}, eth1: {addresses: [10.8.0.3/24]}}}
  b: {}
  c: {}
links:
  - {a: a:eth0, b: b:eth0}
  - {a: a:eth1, b: c:eth0}
"""

MOVED_POD = """\
name: lab
bridges:
  br-a: {addresses: [10.42.0.1/24]}
  br-b: {}
namespaces:
  pod: {interfaces: {eth0: {addresses: [10.42.0.5/24]}}, routes: [{to: default, via: 10.42.0.1}]}
links:
  - {a: pod:eth0, b: br-b:veth-pod}
"""

GOOD = """\
name: lab
bridges:
  br-a: {addresses: [10.42.0.1/24]}
namespaces:
  pod: {interfaces: {eth0: {addresses: [10.42.0.5/24]}}, routes: [{to: default, via: 10.42.0.1}]}
links:
  - {a: pod:eth0, b: br-a:veth-pod}
"""


@pytest.mark.parametrize("text,expected", [
    (TWO_BRIDGES, [("bridges.br-b.addresses[0]", "subnet 10.7.0.0/24 is on br-a and br-b, which are different L2 segments "
                    "of (root): the kernel routes it through one of them")]),
    (TWO_PORTS, [("namespaces.a.interfaces.eth1.addresses[0]", "subnet 10.8.0.0/24 is on eth0 and eth1, which are different "
                  "L2 segments of a: the kernel routes it through one of them")]),
    (MOVED_POD, [("namespaces.pod.routes[0].via",
                  "gateway 10.42.0.1 is br-a in (root), on another L2 segment than eth0: the route cannot reach it")]),
    (GOOD, []),
])
def test_segment_mistakes_are_warnings(text: str, expected: list[tuple[str, str]]) -> None:
    assert warnings(text) == expected
