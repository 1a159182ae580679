"""The loopback kind, root-free: a namespace's loopback settings round-trip through a topology
file, and a loopback is drawn first in its box with the addresses every loopback has."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.model import Interface
from provisioner.render.graph import build_diagram, render_graph
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "loopback.yaml"


def test_loopback_settings_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    namespaces = dump_topology(model)["namespaces"]
    assert namespaces == {"pod": {"interfaces": {"lo": {"addresses": ["10.99.0.1/32"], "mtu": 9000}}},
                          "bare": {"interfaces": {"lo": {"up": False}}}}


def test_a_loopback_is_drawn_with_its_implicit_addresses() -> None:
    topo = load_topology(CASE)
    text = render_graph(topo)
    assert 'n_host_pod_lo(("lo<br>127.0.0.1/8, ::1<br>10.99.0.1/32<br>mtu 9000"))' in text
    assert 'n_host_bare_lo(("lo<br>127.0.0.1/8, ::1<br>down"))' in text
    assert "class n_host_bare_lo,n_host_pod_lo lavender;" in text
    assert [c.style for c in build_diagram(topo).clusters] == ["netns", "netns"]  # the root's bare lo: no box


def test_a_loopback_is_first_in_its_box() -> None:
    topo = load_topology(CASE)
    topo.nodes["host"].namespaces["pod"].interfaces["d0"] = Interface("d0", "dummy")  # a kind whose name sorts first
    [pod] = [c for c in build_diagram(topo).clusters if c.label == "pod"]
    assert [(n.lines[0], n.shape, n.style) for n in pod.nodes] == [("lo", "circle", "lo"), ("d0", "circle", "iface")]
