"""The bridge kind, root-free: its cases round-trip through a topology file (top-level `bridges:`
in a one-node lab, `nodes.NODE.bridges` in a multi-node one) and are drawn as hexagons with ports."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import render_graph
from provisioner.validate import load_topology, validate_document

CASES = Path(__file__).parent / "dump"


def test_bridges_of_one_node_round_trip() -> None:
    model = load_topology(CASES / "bridge.yaml")
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    assert dump_topology(model)["bridges"] == {"br0": {"addresses": ["10.10.0.1/24"], "mtu": 1450, "description": "the pod bridge"},
                                               "br1": {"up": False}}


def test_bridges_of_several_nodes_are_written_under_their_node() -> None:
    model = load_topology(CASES / "bridge-nodes.yaml")
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert "bridges" not in data
    assert [data["nodes"][n]["bridges"] for n in ("n1", "n2")] == [{"br0": {"addresses": ["10.10.1.1/24"]}},
                                                                   {"br0": {"addresses": ["10.10.2.1/24"]}}]


def test_a_bridge_is_a_hexagon_with_its_ports() -> None:
    text = render_graph(load_topology(CASES / "bridge.yaml"))
    assert 'n_host_root_br0{{"bridge br0<br>10.10.0.1/24<br>mtu 1450"}}' in text
    assert 'n_host_root_br1{{"bridge br1<br>down"}}' in text
    assert "n_host_root_veth_2d_p -.-|port| n_host_root_br0" in text
    assert "class n_host_root_br0,n_host_root_br1 blue2;" in text
