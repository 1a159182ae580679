"""The rule builder, its checks and its dump (root-free)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from provisioner.diagnostics import format_path
from provisioner.dump import dump_topology, dump_yaml
from provisioner.kinds.rule.model import NO_MASK, Rule
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

LAB = ("tables: {isp1: 100}\nname: lab\nnamespaces:\n  a:\n    interfaces: {eth0: {addresses: [10.0.0.2/24]}}\n"
       "    rules: [%s]\nlinks: [{a: a:eth0, b: host:v-a}]\n")
NET = ipaddress.ip_network


def diagnostics(rules: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", LAB % rules)).diagnostics]


@pytest.mark.parametrize("text,rule", [
    ("{priority: 100, from: 10.0.0.2, table: isp1}", Rule(4, 100, 100, NET("10.0.0.2/32"))),
    ("{priority: 5, to: 'fd00::/64', table: 7}", Rule(6, 5, 7, None, NET("fd00::/64"))),
    ("{priority: 5, iif: eth0, fwmark: 3, table: main}", Rule(4, 5, 254, iif="eth0", fwmark=3, fwmask=NO_MASK)),
    ("{priority: 5, family: ipv6, table: 1000}", Rule(6, 5, 1000)),
])
def test_built_rules(text: str, rule: Rule) -> None:
    topo = validate_document(load_text("t.yaml", LAB % text)).topology
    assert topo is not None and topo.nodes["host"].namespaces["a"].rules == [rule]


@pytest.mark.parametrize("text,expected", [
    ("{priority: 1, from: 10.0.0.0/24, table: isp9}", ("namespaces.a.rules[0].table", "table 'isp9' is not declared under `tables:`")),
    ("{priority: 1, table: 0}", ("namespaces.a.rules[0].table", "0 is less than the minimum of 1")),
    ("{priority: 1, table: local}", ("namespaces.a.rules[0].table", "table 'local' is not declared under `tables:`")),
    ("{priority: 1, from: 10.0.0.1/24, table: 7}", ("namespaces.a.rules[0].from",
                                                     "invalid destination '10.0.0.1/24': 10.0.0.1/24 has host bits set")),
    ("{priority: 1, from: 10.0.0.0/24, to: 'fd00::/64', table: 7}", ("namespaces.a.rules[0]",
                                                                     "rule mixes IPv4 and IPv6 (`from`, `to` and `family` must agree)")),
    ("{priority: 1, fwmask: 255, table: 7}", ("namespaces.a.rules[0].fwmask", "a `fwmask` needs a `fwmark`")),
    ("{priority: 1, iif: 'a/b', table: 7}", ("namespaces.a.rules[0].iif",
                                              "interface name 'a/b' contains '/'; '/', ':', '%' and whitespace are not allowed")),
    ("{priority: 1, table: 7}, {priority: 1, table: 7}", ("namespaces.a.rules[1]",
                                                          "rule 1: ipv4 lookup 7 is already defined at namespaces.a.rules[0]")),
    ("{priority: 1, iif: eth9, table: 7}", ("namespaces.a.rules[0].iif", "rule iif 'eth9' is not an interface of namespace a")),
])
def test_refused_rules(text: str, expected: tuple[str, str]) -> None:
    assert diagnostics(text) == [expected]


def test_rules_round_trip() -> None:
    model = load_topology(Path(__file__).parent / "dump" / "rules.yaml")
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["tables"] == {"isp1": 100}
    assert data["rules"] == [{"priority": 90, "from": "10.0.0.0/24", "table": 100}]
    assert data["namespaces"]["a"]["rules"][2] == {"priority": 120, "oif": "eth0", "fwmark": 16, "fwmask": 255, "table": "main"}
    assert data["namespaces"]["a"]["rules"][3] == {"priority": 130, "family": "ipv6", "table": 1000}


@pytest.mark.parametrize("record", [
    {"family": 4, "priority": 1, "table": 7},
    {"family": 6, "priority": 1, "table": 7, "src": "fd00::/64", "iif": "eth0", "fwmark": 1, "fwmask": 1},
])
def test_rule_record_round_trip(record: dict[str, object]) -> None:
    assert Rule.from_record(record).to_record() == record


@pytest.mark.parametrize("record", [{"family": 4, "priority": 1}, {"family": 4, "priority": True, "table": 7},
                                    {"family": 4, "priority": 1, "table": 7, "tos": 1}, "x"])
def test_rule_record_refused(record: object) -> None:
    with pytest.raises(ValueError):
        Rule.from_record(record)
