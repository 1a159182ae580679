"""The process kind, root-free: processes round-trip through a topology file; one without env,
user or description is its command line."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "process.yaml"


def test_processes_round_trip() -> None:
    model = load_topology(CASE)
    again = validate_document(load_text("dump.yaml", dump_yaml(model))).topology
    assert again == model
    assert again is not None  # a description is no part of a process's equality: compared here
    assert again.nodes["host"].namespaces["a"].processes["db"].description == "a database"
    assert dump_topology(model)["namespaces"]["a"]["processes"] == {
        "web": "sleep 100", "db": {"command": "sleep 200", "env": {"MODE": "fast"}, "user": "nobody", "description": "a database"}}
