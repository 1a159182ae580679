"""The vxlan kind, root-free: segments round-trip through a topology file (defaults left out, a
node list only where it is not every node with the bridge in node order) and are drawn as one
device per node with tunnel lines between every two."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import build_diagram, to_mermaid
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "vxlan.yaml"


def test_segments_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    assert dump_topology(model)["vxlans"] == {
        "vx0": {"vni": 42, "port": 8472, "bridge": "br", "mtu": 1450, "description": "the overlay"},
        "vx1": {"vni": 43, "bridge": "br", "nodes": ["n3", "n2", "n1"]}}


def test_each_device_and_tunnel_is_drawn() -> None:
    diagram = build_diagram(load_topology(CASE))
    text = to_mermaid(diagram)
    assert 'n_n2_root_vx0(("vxlan vx0<br>vni 42, local 192.0.2.12<br>mtu 1450"))' in text
    assert 'n_n1_root_vx1(("vxlan vx1<br>vni 43, local 192.0.2.11"))' in text
    tunnels = [(e.a, e.b) for e in diagram.edges if e.label == "vxlan vx0"]
    assert tunnels == [("n_n1_root_vx0", "n_n2_root_vx0"), ("n_n1_root_vx0", "n_n3_root_vx0"), ("n_n2_root_vx0", "n_n3_root_vx0")]
