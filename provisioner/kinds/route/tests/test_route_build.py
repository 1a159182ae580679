"""The route builder and the route checks (root-free)."""

from __future__ import annotations

import ipaddress

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.model import Route
from provisioner.validate import validate_document

LAB = ("name: lab\nnamespaces:\n  a:\n    interfaces: {eth0: {addresses: [10.0.0.2/24, 'fd00::2/64']}}\n"
       "    routes: [%s]\nlinks: [{a: a:eth0, b: host:v-a}]\n")


def problems(routes: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", LAB % routes)).diagnostics]


@pytest.mark.parametrize("route,expected", [
    ("{to: default, via: 10.0.0.1}", Route(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_address("10.0.0.1"))),
    ("{to: default, via: 'fd00::1'}", Route(ipaddress.ip_network("::/0"), ipaddress.ip_address("fd00::1"))),
    ("{to: 10.1.0.0/16, dev: eth0, metric: 5}", Route(ipaddress.ip_network("10.1.0.0/16"), dev="eth0", metric=5)),
    ("{to: 10.2.0.0/16, via: 192.0.2.1, dev: eth0, onlink: true}",
     Route(ipaddress.ip_network("10.2.0.0/16"), ipaddress.ip_address("192.0.2.1"), "eth0", onlink=True)),
])
def test_built_routes(route: str, expected: Route) -> None:
    topo = validate_document(load_text("t.yaml", LAB % route)).topology
    assert topo is not None and topo.nodes["host"].namespaces["a"].routes == [expected]


@pytest.mark.parametrize("route,expected", [
    ("{to: 10.1.0.1/16, dev: eth0}", ("namespaces.a.routes[0].to", "invalid destination '10.1.0.1/16': 10.1.0.1/16 has host bits set")),
    ("{to: default, via: 0.0.0.0}", ("namespaces.a.routes[0].via",
                                     "gateway 0.0.0.0 is the unspecified address: Linux would make a route without a gateway")),
    ("{to: 10.1.0.0/16}", ("namespaces.a.routes[0]", "route to 10.1.0.0/16 needs a gateway (`via`) or a device (`dev`)")),
    ("{to: 10.1.0.0/16, via: 'fd00::1'}", ("namespaces.a.routes[0]", "route to 10.1.0.0/16 mixes IPv4 and IPv6 addresses")),
    ("{to: 10.1.0.0/16, dev: eth9}", ("namespaces.a.routes[0].dev", "route device 'eth9' is not an interface of namespace a")),
    ("{to: default, via: 10.9.0.1}", ("namespaces.a.routes[0].via", "gateway 10.9.0.1 is not in a subnet connected to a")),
    ("{to: 10.1.0.0/16, dev: eth0, src: 10.0.0.9}", ("namespaces.a.routes[0].src",
                                                     "source address 10.0.0.9 is not an address of this namespace")),
    ("{to: 10.1.0.0/16, dev: eth0}, {to: 10.1.0.0/16, via: 10.0.0.1}", ("namespaces.a.routes[1]",
     "a route to 10.1.0.0/16 with metric 0 is already defined at namespaces.a.routes[0]")),
])
def test_refused_routes(route: str, expected: tuple[str, str]) -> None:
    assert problems(route) == [expected]


TABLES = "tables: {isp1: 100, big: 1000}\n"


@pytest.mark.parametrize("route,table", [
    ("{to: default, via: 10.0.0.1, table: isp1}", 100),
    ("{to: default, via: 10.0.0.1, table: 7}", 7),
    ("{to: default, via: 10.0.0.1, table: big}", 1000),
    ("{to: default, via: 10.0.0.1}", 254),
])
def test_route_tables(route: str, table: int) -> None:
    topo = validate_document(load_text("t.yaml", TABLES + LAB % route)).topology
    assert topo is not None and [r.table for r in topo.nodes["host"].namespaces["a"].routes] == [table]
    assert topo.tables == {"isp1": 100, "big": 1000}


@pytest.mark.parametrize("text,expected", [
    (LAB % "{to: default, via: 10.0.0.1, table: isp2}",
     ("namespaces.a.routes[0].table", "table 'isp2' is not declared under `tables:`")),
    (TABLES + LAB % "{to: default, via: 10.0.0.1, table: isp2}",
     ("namespaces.a.routes[0].table", "table 'isp2' is not declared under `tables:`")),
    (LAB % "{to: default, via: 10.0.0.1, table: 255}",
     ("namespaces.a.routes[0].table", "table 255 is reserved by the kernel (local)")),
    (LAB % "{to: default, via: 10.0.0.1, table: 254}",
     ("namespaces.a.routes[0].table", "table 254 is reserved by the kernel (main)")),
    (LAB % "{to: default, via: 10.0.0.1, table: main}",
     ("namespaces.a.routes[0].table", "table 'main' is not declared under `tables:`")),
    ("tables: {isp1: 253}\n" + LAB % "", ("tables.isp1", "table 253 is reserved by the kernel (default)")),
    ("tables: {main: 100}\n" + LAB % "", ("tables.main", "table name 'main' is the kernel's own (table 254)")),
    ("tables: {a: 100, b: 100}\n" + LAB % "", ("tables.b", "table 100 is already declared as 'a'")),
    (TABLES + LAB % "{to: 10.1.0.0/16, dev: eth0, table: isp1}, {to: 10.1.0.0/16, via: 10.0.0.1, table: 100}",
     ("namespaces.a.routes[1]", "a route to 10.1.0.0/16 with metric 0 in table 100 is already defined at namespaces.a.routes[0]")),
])
def test_refused_tables(text: str, expected: tuple[str, str]) -> None:
    found = [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]
    assert found == [expected]


def test_a_table_of_the_same_destination_is_another_route() -> None:
    assert problems("{to: 10.1.0.0/16, dev: eth0}, {to: 10.1.0.0/16, via: 10.0.0.1, table: 5}") == []
