"""The settings every interface has, root-free: MTU, MAC, state and description round-trip
through a topology file (defaults left out) and MTU and state are drawn under the name."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import render_graph
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "link.yaml"


def test_interface_settings_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["namespaces"]["a"]["interfaces"]["eth0"] == {"mtu": 1400, "mac": "02:00:00:00:00:0a", "up": False,
                                                             "description": "the uplink"}
    assert data["links"] == [{"a": "a:eth0", "b": "host:veth-a"}]  # the host end has only defaults


def test_mtu_and_state_are_drawn() -> None:
    text = render_graph(load_topology(CASE), "dot")
    assert 'n_host_a_eth0 [label="eth0\\nmtu 1400\\ndown", shape=ellipse' in text
    assert 'n_host_root_veth_2d_a [label="veth-a", shape=ellipse' in text


def test_queue_length_and_hairpin_round_trip() -> None:
    model = load_topology(CASE.parent / "queue_and_hairpin.yaml")
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["namespaces"]["a"]["interfaces"]["eth0"] == {"txqueuelen": 0}
    assert data["bridges"]["br0"] == {"txqueuelen": 500}
    assert data["links"][0]["b"] == {"at": "br0:veth-a", "txqueuelen": 0, "hairpin": True}
