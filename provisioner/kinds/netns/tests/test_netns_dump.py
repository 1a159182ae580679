"""The netns kind, root-free: namespaces (their node, description) and nodes' descriptions
round-trip through a topology file, and each namespace is a box in its node's."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import build_diagram
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "netns.yaml"


def test_namespaces_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["namespaces"] == {"web": {"node": "n1", "description": "a web pod"}, "db": {"node": "n2"}}
    assert data["nodes"] == {"n1": {"host": "192.0.2.11", "description": "the first machine"},
                             "n2": {"host": "192.0.2.12", "user": "lab"}}


def test_each_namespace_is_a_box_in_its_node() -> None:
    clusters = build_diagram(load_topology(CASE)).clusters
    assert [(c.label, [(i.label, i.style) for i in c.children]) for c in clusters] == [
        ("n1 (192.0.2.11)", [("web: a web pod", "netns")]), ("n2 (192.0.2.12)", [("db", "netns")])]
