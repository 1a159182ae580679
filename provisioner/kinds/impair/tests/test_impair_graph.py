"""Diagrams print impairments on their links: once when both ends send with the same, else
each end's own, in Mermaid and DOT; a link without any is a plain `veth`."""

from __future__ import annotations

from provisioner.kinds.testing import topology
from provisioner.render.graph import render_graph

LAB = """
name: imp
namespaces:
  left: {}
  right: {}
links:
  - a: left:eth0
    b: right:eth0
    impair: {rate: 10mbit, loss: 2}
  - a: {at: left:eth1, impair: {delay: 40ms}}
    b: right:eth1
  - a: left:eth2
    b: right:eth2
"""


def test_impair_graph_labels_links_with_their_impairments() -> None:
    topo = topology(LAB)
    mermaid, dot = render_graph(topo, "mermaid"), render_graph(topo, "dot")
    assert '  n_host_left_eth0 ===|"veth: rate 10mbit, loss 2%"| n_host_right_eth0' in mermaid, mermaid
    assert '  n_host_left_eth1 ===|"veth: left:eth1→ delay 40ms"| n_host_right_eth1' in mermaid, mermaid
    assert "  n_host_left_eth2 ===|veth| n_host_right_eth2" in mermaid, mermaid
    assert 'n_host_left_eth0 -- n_host_right_eth0 [label="veth: rate 10mbit, loss 2%", style=bold];' in dot, dot
