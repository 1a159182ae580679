"""The hosts kind, root-free: /etc/hosts entries round-trip through a topology file (one address
as itself, several as a list), at a namespace and at the top level."""

from pathlib import Path

import pytest

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "hosts.yaml"


def test_hosts_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["hosts"] == {"gateway": "10.0.0.254", "both": ["10.0.0.1", "fd00::1"]}
    assert data["namespaces"]["a"]["hosts"] == {"self": "10.0.0.1"}


def test_an_entry_without_address_is_refused() -> None:
    model = load_topology(CASE)
    model.nodes["host"].root.hosts["nowhere"] = ()
    with pytest.raises(ValueError, match="hosts entry 'nowhere' has no address"):
        dump_topology(model)
