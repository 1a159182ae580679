"""The address kind, root-free: an interface's addresses round-trip through a topology file in
their order (IPv4 and IPv6, a namespace's end and a root-namespace end) and are drawn one a line."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import render_graph
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "address.yaml"


def test_addresses_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["namespaces"]["a"]["interfaces"]["eth0"] == {"addresses": ["10.0.0.1/24", "10.0.1.1/24", "fd00::1/64"]}
    assert data["links"][0]["b"] == {"at": "host:veth-a", "addresses": ["10.0.0.254/24", "fd00::fe/64"]}


def test_addresses_are_drawn_one_a_line() -> None:
    text = render_graph(load_topology(CASE))
    assert 'n_host_a_eth0(("eth0<br>10.0.0.1/24<br>10.0.1.1/24<br>fd00::1/64"))' in text
    assert 'n_host_root_veth_2d_a(("veth-a<br>10.0.0.254/24<br>fd00::fe/64"))' in text


def test_broadcasts_round_trip() -> None:
    """`broadcast: auto` is the subnet's last address; an explicit one is kept as written."""
    model = load_topology(CASE.parent / "broadcast.yaml")
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    eth0 = model.netns(model.veths[0].a.place).interfaces["eth0"]
    assert {str(a): str(b) for a, b in eth0.broadcasts.items()} == {"10.0.0.1/24": "10.0.0.255", "10.0.1.1/24": "10.0.1.7"}
    data = dump_topology(model)
    assert data["namespaces"]["a"]["interfaces"]["eth0"] == {"addresses": [
        {"address": "10.0.0.1/24", "broadcast": "auto"}, {"address": "10.0.1.1/24", "broadcast": "10.0.1.7"}, "fd00::1/64"]}
    assert data["links"][0]["b"] == {"at": "host:veth-a", "addresses": [{"address": "10.0.0.254/24", "broadcast": "auto"}]}
