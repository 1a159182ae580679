"""Policies without a kernel: the chains a file's policies give, and their round trip
through a topology file."""

from __future__ import annotations

import json
from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.kinds.policy.ruleset import FORWARD_CHAIN, policy_chains
from provisioner.kinds.testing import topology
from provisioner.loader import load_text
from provisioner.validate import validate_document

LAB = """name: lab
bridges:
  cni0: {addresses: [10.0.0.1/24]}
namespaces:
  web: {labels: {app: web}, interfaces: {eth0: {addresses: [10.0.0.2/24]}}}
  db: {interfaces: {eth0: {addresses: [10.0.0.3/24]}}}
  cli: {labels: {role: cli}, interfaces: {eth0: {addresses: [10.0.0.4/24]}}}
links:
  - {a: web:eth0, b: cni0:v-web}
  - {a: db:eth0, b: cni0:v-db}
  - {a: cli:eth0, b: cni0:v-cli}
policies:
  web-in:
    podSelector: {app: web}
    ingress:
      - from: [{podSelector: {role: cli}}, {cidr: 10.9.0.0/16}]
        ports: [{port: 80}, {port: 443}, {port: 53, protocol: UDP}]
  web-in-too:
    pods: [web]
    ingress:
      - from: [{pods: [db]}]
  db-locked:
    pods: [db]
    ingress: []
    egress:
      - to: [{pods: [web]}]
"""


def exprs(rule: str) -> list:
    return json.loads(rule)


def test_rules_of_every_policy_selecting_a_pod_add_up() -> None:
    topo = topology(LAB)
    chains = {c.name: c for c in policy_chains(topo.policies)}
    assert set(chains) == {FORWARD_CHAIN, "ingress/web", "ingress/db", "egress/db"}
    web = [exprs(r) for r in chains["ingress/web"].rules]
    # from cli or 10.9/16 on tcp 80/443, and on udp 53; from db on any port; then drop
    assert web[0][0]["match"]["right"] == {"set": ["10.0.0.4", {"prefix": {"addr": "10.9.0.0", "len": 16}}]}
    assert web[0][1]["match"] == {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [80, 443]}}
    assert web[1][1]["match"]["right"] == 53 and web[1][1]["match"]["left"]["payload"]["protocol"] == "udp"
    assert web[2] == [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "10.0.0.3"}},
                      {"return": None}]
    assert web[-1] == [{"drop": None}]
    assert [exprs(r) for r in chains["ingress/db"].rules] == [[{"drop": None}]]  # ingress: [] denies all
    forward = [exprs(r) for r in chains[FORWARD_CHAIN].rules]
    assert forward[0][-1] == {"accept": None}  # replies of allowed connections first
    targets = [r[-1]["jump"]["target"] for r in forward[1:]]
    assert targets == ["egress/db", "ingress/db", "ingress/web"]  # a sender's egress before a receiver's ingress
    assert policy_chains([]) == []


def test_policies_round_trip() -> None:
    topo = topology(LAB)
    assert validate_document(load_text("dump.yaml", dump_yaml(topo))).topology == topo
    data = dump_topology(topo)["policies"]
    assert data["db-locked"] == {"pods": ["db"], "ingress": [], "egress": [{"to": [{"pods": ["web"]}]}]}
    assert data["web-in"]["podSelector"] == {"app": "web"}
