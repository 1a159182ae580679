"""Services round-trip through a topology file: defaults left out, an allocated nodePort
written as the one it got."""

import ipaddress
from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

CASE = Path(__file__).parent / "lab.yaml"


def test_services_round_trip() -> None:
    model = load_topology(CASE)
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["services"]["other"] == {"clusterIP": "10.96.0.30", "ports": [{"port": 8080}], "endpoints": ["web-a"]}
    web = data["services"]["web"]
    assert web["type"] == "NodePort" and web["ports"][1] == {"port": 53, "targetPort": 5353, "protocol": "UDP", "nodePort": 30000}


def test_a_node_port_is_allocated_from_30000_past_the_ones_the_file_gives(tmp_path: Path) -> None:
    text = CASE.read_text().replace("nodePort: 30080", "nodePort: 30000")
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    udp = load_topology(path).services[0].ports[1]
    assert (udp.protocol, udp.node_port) == ("udp", 30000)  # another protocol: 30000/tcp does not take it


def test_a_selector_picks_the_labelled_pods_and_round_trips(tmp_path: Path) -> None:
    text = CASE.read_text().replace("  web-b:\n", "  web-b:\n    labels: {app: web}\n").replace(
        "  web-c:\n", "  web-c:\n    labels: {app: web, tier: x}\n").replace("    endpoints: [web-a, web-b, web-c]", "    selector: {app: web}")
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    model = load_topology(path)
    assert [e.netns for e in model.services[0].endpoints] == ["web-b", "web-c"]
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    assert dump_topology(model)["services"]["web"]["selector"] == {"app": "web"}
    assert dump_topology(model)["namespaces"]["web-c"]["labels"] == {"app": "web", "tier": "x"}


def test_cluster_ips_allocated_from_the_service_cidr_are_stable(tmp_path: Path) -> None:
    text = CASE.read_text().replace("services:\n", "serviceCIDR: 10.96.0.0/24\nservices:\n").replace("    clusterIP: 10.96.0.30\n", "")
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    model = load_topology(path)
    other = next(s for s in model.services if s.name == "other")
    assert other.allocated and other.cluster_ip in ipaddress.ip_network("10.96.0.0/24")
    assert int(other.cluster_ip) - int(ipaddress.ip_address("10.96.0.0")) >= 11  # past the reserved .1 and .10
    # the same on every load, whatever else the file has or in what order
    reordered = tmp_path / "again.yaml"
    reordered.write_text(text.replace("  web:\n", "  zzz: {clusterIP: 10.96.0.99, ports: [{port: 1}], endpoints: [web-a]}\n  web:\n"))
    assert next(s for s in load_topology(reordered).services if s.name == "other").cluster_ip == other.cluster_ip
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model
    data = dump_topology(model)
    assert data["serviceCIDR"] == "10.96.0.0/24" and "clusterIP" not in data["services"]["other"]
