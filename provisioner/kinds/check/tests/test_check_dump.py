"""The check kind, root-free: checks round-trip through a topology file, leaving out the name topo
would give them and the default timeout."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "check.yaml"


def test_checks_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    assert dump_topology(model)["checks"] == [
        {"from": "a", "to": "10.0.0.2"},
        {"name": "web answers", "from": "b", "to": "10.0.0.1", "port": 80, "timeout": 5},
        {"from": "b", "resolve": "a", "address": "10.0.0.1"},
        {"from": "a", "to": "10.0.0.3", "expect": "failure", "timeout": 0.5}]
