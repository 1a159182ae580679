"""The route kind, root-free: routes round-trip through a topology file (`default` where it reads
back as that destination, `::/0` of a `dev`-only IPv6 route, every option) at a namespace and at
the top level."""

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "dump" / "route.yaml"


def test_routes_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["namespaces"]["a"]["routes"] == [
        {"to": "default", "via": "10.0.0.254", "metric": 100}, {"to": "::/0", "dev": "eth0"},
        {"to": "10.9.0.0/16", "via": "10.0.0.253", "dev": "eth0", "onlink": True, "src": "10.0.0.1"},
        {"to": "fd09::/48", "via": "fd00::fe"}, {"to": "default", "via": "10.0.0.254", "table": 100},
        {"to": "10.8.0.0/16", "dev": "eth0", "table": 7}]
    assert data["tables"] == {"isp1": 100}
    assert data["routes"] == [{"to": "10.0.0.0/24", "dev": "veth-a"}]
