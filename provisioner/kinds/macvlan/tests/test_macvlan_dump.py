"""The macvlan kind, root-free: macvlans round-trip through a topology file (under the top-level
`macvlans:`, the bridge mode left out, never under a namespace's `interfaces:`)."""

from __future__ import annotations

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.validate import load_topology, validate_document

LAB = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "macvlan-lab.yaml"  # also the kernel test's lab


def test_macvlans_round_trip() -> None:
    model = load_topology(LAB)
    again = validate_document(load_text("dump.yaml", dump_yaml(model))).topology
    assert again == model
    data = dump_topology(model)
    assert data["macvlans"] == [
        {"at": "host:mv-host", "parent": "br-mv", "mode": "vepa", "mtu": 1450, "description": "the node's own macvlan"},
        {"at": "pod-a:eth0", "parent": "br-mv", "addresses": ["10.50.0.11/24"], "mtu": 1400, "mac": "02:00:00:00:50:0b"},
        {"at": "pod-b:eth0", "parent": "br-mv", "addresses": ["10.50.0.12/24"]}]
    assert data["namespaces"]["pod-a"] == {} and "mv-host" not in str(data["bridges"])


def test_down_macvlans_of_other_nodes_round_trip() -> None:
    text = ("name: lab\nnodes: {n1: {bridges: {br: {}}}, n2: {}}\nnamespaces: {pod: {node: n1}}\nmacvlans:\n"
            "  - {at: 'pod:eth0', parent: br, mode: private, up: false}\n  - {at: 'n2:mv0', parent: eth0, mode: passthru}\n")
    model = validate_document(load_text("t.yaml", text)).topology
    assert model is not None
    assert dump_topology(model)["macvlans"] == [{"at": "pod:eth0", "parent": "br", "mode": "private", "up": False},
                                                {"at": "n2:mv0", "parent": "eth0", "mode": "passthru"}]
    assert validate_document(load_text("dump.yaml", dump_yaml(model))).topology == model


def test_no_macvlans_no_key() -> None:
    model = validate_document(load_text("t.yaml", "name: lab\nnamespaces: {pod: {}}\n")).topology
    assert model is not None and "macvlans" not in dump_topology(model)
