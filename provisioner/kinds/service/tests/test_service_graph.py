"""Diagrams draw the lab's Services and policies beside its namespaces: a box each, with a
line to every endpoint (or selected pod) it reaches; no kernel needed."""

from __future__ import annotations

from pathlib import Path

from provisioner.kinds.testing import topology
from provisioner.render.graph import build_diagram, render_graph

HERE = Path(__file__).parent
POLICY = """name: pol
namespaces:
  web: {interfaces: {eth0: {addresses: [10.0.0.2/24]}}, labels: {app: web}}
  client: {interfaces: {eth0: {addresses: [10.0.0.3/24]}}, labels: {role: client}}
links: [{a: web:eth0, b: client:eth0}]
policies:
  web-in: {podSelector: {app: web}, ingress: [{from: [{podSelector: {role: client}}], ports: [{port: 80}]}]}
"""


def test_a_service_is_a_box_with_a_line_to_each_endpoint() -> None:
    topo = topology((HERE / "lab.yaml").read_text())
    d = build_diagram(topo)
    box = next(c for c in d.clusters if c.style == "services")
    web = next(n for n in box.nodes if n.lines[0].startswith("service default/web"))
    svc = next(s for s in topo.services if s.name == "web")
    assert str(svc.cluster_ip) in web.lines
    reached = sorted(e.b for e in d.edges if e.a == web.id)
    assert reached == sorted(f"n_host_{ep.netns.replace('-', '_2d_')}_eth0" for ep in svc.endpoints)
    assert all(e.kind == "service" for e in d.edges if e.a == web.id)
    mermaid = render_graph(topo)
    assert f'{web.id}["service default/web' in mermaid and "-.->|" in mermaid
    dot = render_graph(topo, "dot")
    assert f"{web.id} [label=\"service default/web" in dot and "shape=box" in dot


def test_a_policy_says_what_it_lets_in_and_whom_it_selects() -> None:
    topo = topology(POLICY)
    d = build_diagram(topo)
    box = next(c for c in d.clusters if c.style == "services")
    (policy,) = box.nodes
    assert policy.lines == ("policy web-in", "in: pods role=client on 80/tcp")
    assert [(e.b, e.label) for e in d.edges if e.a == policy.id] == [("n_host_web_eth0", "selects")]


def test_a_lab_without_services_or_policies_has_no_such_box() -> None:
    topo = topology("name: plain\nnamespaces:\n  a: {}\n")
    assert not any(c.style == "services" for c in build_diagram(topo).clusters)
