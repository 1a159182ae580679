"""The veth kind, root-free: its links round-trip through a topology file (a namespace end as
`NS:IFNAME`, a root-namespace end as an `{at: ...}` mapping, a shared MTU as the link's) and are
drawn as `veth` lines, also when a link's first end is in the root namespace."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import build_diagram, render_graph
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "veth.yaml"


def test_links_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["links"] == [{"a": "a:eth0", "b": "b:eth0", "description": "a to b"},
                             {"a": "c:eth0", "b": {"at": "br0:veth-c", "mac": "02:00:00:00:00:0c"}, "mtu": 1450},
                             {"a": "host:veth-a", "b": "a:eth1"}]
    assert data["namespaces"]["b"]["interfaces"] == {"eth0": {"addresses": ["10.0.0.2/30"], "mtu": 1400}}
    assert "interfaces" not in data["namespaces"]["c"]  # its end's MTU is the link's


def test_every_link_is_one_veth_line() -> None:
    topo = load_topology(CASE)
    text = render_graph(topo, "dot")
    assert "n_host_a_eth0 -- n_host_b_eth0 [label=\"veth\", style=bold];" in text
    assert "n_host_root_veth_2d_a -- n_host_a_eth1 [label=\"veth\", style=bold];" in text
    assert [e.kind for e in build_diagram(topo).edges].count("veth") == 3
