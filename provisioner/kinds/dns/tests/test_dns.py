"""The cluster DNS without a kernel: what the file's `dns:` adds to the model (the server, its
Service, its records), the resolv.conf diff, and the round trip through a topology file."""

from __future__ import annotations

import pytest

from provisioner.core.diff import DiffContext
from provisioner.core.effects import Effects, NamespaceGoes
from provisioner.dump import dump_topology, dump_yaml
from provisioner.kinds.dns.diff import diff
from provisioner.kinds.registry import REGISTRY
from provisioner.kinds.testing import live_state, topology
from provisioner.loader import load_text
from provisioner.state import LabRecord
from provisioner.validate import validate_document

LAB = """name: lab
hosts: {gateway: 10.0.0.1}
namespaces:
  dns-pod: {interfaces: {eth0: {addresses: [10.0.0.10/24]}}}
  web: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}, hosts: {web-pod: 10.0.0.2}}
  client: {interfaces: {eth0: {addresses: [10.0.0.3/24]}}}
links:
  - {a: dns-pod:eth0, b: web:eth0}
  - {a: client:eth0, b: host:v-client}
services:
  web: {namespace: shop, clusterIP: 10.96.0.20, ports: [{port: 80}], endpoints: [web]}
dns: {pod: dns-pod, clusterIP: 10.96.0.10}
"""


def test_the_server_its_service_and_its_records() -> None:
    topo = topology(LAB)
    dns = topo.dns
    assert dict(dns.records) == {
        "web.shop.svc.cluster.local": (__import__("ipaddress").ip_address("10.96.0.20"),),
        "kube-dns.kube-system.svc.cluster.local": (__import__("ipaddress").ip_address("10.96.0.10"),),
        "web-pod": (__import__("ipaddress").ip_address("10.0.0.2"),),
        "gateway": (__import__("ipaddress").ip_address("10.0.0.1"),),
    }
    server = topo.nodes["host"].namespaces["dns-pod"].processes["cluster-dns"]
    assert server.config == dns.server_config() and "local=/#/" in server.config and "no-resolv" in server.config
    assert '"$TOPO_CONFIG"' in server.command  # the path is the environment's, never pasted into the command
    kube_dns = [s for s in topo.services if s.name == "kube-dns"][0]
    assert [(p.protocol, p.port) for p in kube_dns.ports] == [("udp", 53), ("tcp", 53)]
    assert [e.netns for e in kube_dns.endpoints] == ["dns-pod"]


def plan(live: dict, effects: Effects = Effects(), text: str = LAB) -> tuple[list[str], list[str]]:
    topo = topology(text)
    node = topo.nodes["host"]
    state = live_state({})
    state.facts["dns"] = live
    rec = LabRecord(topo.name, node.name)
    rec.namespaces = sorted(node.namespaces)
    out = diff(DiffContext(topo, node, state, rec, False, "topo:lab", REGISTRY), effects)
    return [a.describe() for a in out.actions], [c.message for c in out.conflicts]


RESOLV = "# topo lab lab: the cluster DNS\nnameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"


@pytest.mark.parametrize("live, lines, conflicts", [
    ({}, ["+ resolv.conf /etc/netns/client/resolv.conf (nameserver 10.96.0.10)",
          "+ resolv.conf /etc/netns/web/resolv.conf (nameserver 10.96.0.10)"], []),
    ({"client": RESOLV, "web": RESOLV}, [], []),
    ({"client": RESOLV.replace("ndots:5", "ndots:1"), "web": RESOLV},
     ["~ resolv.conf /etc/netns/client/resolv.conf: edited -> nameserver 10.96.0.10"], []),
    ({"client": "nameserver 10.0.0.53\n", "web": RESOLV}, [],
     ["/etc/netns/client/resolv.conf exists and was not written by lab lab"]),
    ({"client": RESOLV, "web": RESOLV, "dns-pod": RESOLV}, ["- resolv.conf /etc/netns/dns-pod/resolv.conf"], []),
])
def test_resolv_conf_cases(live: dict, lines: list[str], conflicts: list[str]) -> None:
    assert plan(live) == (lines, conflicts)


def test_without_dns_only_the_labs_own_files_go() -> None:
    text = LAB.replace("dns: {pod: dns-pod, clusterIP: 10.96.0.10}\n", "")
    assert plan({"client": RESOLV, "web": "nameserver 10.0.0.53\n"}, text=text) == (
        ["- resolv.conf /etc/netns/client/resolv.conf"], [])
    # a namespace that goes: its file goes with it
    assert plan({"client": RESOLV, "web": RESOLV}, Effects().plus([NamespaceGoes("web")]))[0] == [
        "- resolv.conf /etc/netns/web/resolv.conf"]


def test_dns_round_trip() -> None:
    topo = topology(LAB)
    assert validate_document(load_text("dump.yaml", dump_yaml(topo))).topology == topo
    data = dump_topology(topo)
    assert data["dns"] == {"pod": "dns-pod", "clusterIP": "10.96.0.10"}
    assert set(data["services"]) == {"web"}  # kube-dns is the DNS's own
    assert "processes" not in data["namespaces"]["dns-pod"]


def test_the_server_configuration_is_only_lines_topo_renders() -> None:
    """Every value in dnsmasq's file was checked first (DNS labels, addresses): no line of it
    can be made to say anything else."""
    import re

    line = re.compile(r"[a-z-]+(=([a-z0-9.-]+,)?[0-9a-f.:,]*|=/#/|=-)?")
    config = topology(LAB).dns.server_config()
    assert all(line.fullmatch(text) for text in config.splitlines()), config
