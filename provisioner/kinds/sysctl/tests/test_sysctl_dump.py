"""The sysctl kind, root-free: sysctls round-trip through a topology file (an integer written as
one, other text as text); what every node's root namespace has is written once at the top level."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "sysctl.yaml"


def test_sysctls_round_trip_and_shared_ones_are_lifted() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["sysctls"] == {"net.ipv4.ip_forward": 1, "net.ipv4.ip_local_port_range": "32768 60999"}
    assert data["nodes"] == {"n1": {"sysctls": {"net.ipv4.conf.all.rp_filter": 0}}, "n2": {}}
    assert data["namespaces"]["a"]["sysctls"] == {"net.ipv4.ip_forward": 0}
