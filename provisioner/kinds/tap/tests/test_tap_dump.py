"""Taps round-trip through a topology file (under the top-level `taps:`, a bridge's port at
`BRIDGE:IFNAME`, mode tap left out), and a diagram draws them with a line to their bridge."""

from __future__ import annotations

from pathlib import Path

from provisioner.dump import dump_topology, dump_yaml
from provisioner.loader import load_text
from provisioner.render.graph import build_diagram, to_mermaid
from provisioner.validate import load_topology, validate_document

LAB = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "tap-lab.yaml"  # also the kernel test's lab


def test_taps_round_trip() -> None:
    model = load_topology(LAB)
    again = validate_document(load_text("dump.yaml", dump_yaml(model))).topology
    assert again == model
    assert dump_topology(model)["taps"] == [
        {"at": "br-vm:tap-vm", "owner": "nobody", "multi_queue": True, "description": "the VM's NIC"},
        {"at": "pod-a:tun0", "mode": "tun", "addresses": ["10.88.0.1/24"], "mtu": 1400}]


def test_no_taps_no_key() -> None:
    model = validate_document(load_text("t.yaml", "name: lab\nnamespaces: {pod: {}}\n")).topology
    assert model is not None and "taps" not in dump_topology(model)


def test_each_tap_is_drawn_with_its_mode_owner_and_bridge() -> None:
    diagram = build_diagram(load_topology(LAB))
    text = to_mermaid(diagram)
    assert '(("tap tap-vm<br>tap, owner nobody, multi-queue"))' in text, text
    assert '(("tun tun0<br>tun<br>10.88.0.1/24<br>mtu 1400"))' in text, text
    assert [(e.a, e.b, e.kind) for e in diagram.edges if e.label == "tap"] == [("n_host_root_tap_2d_vm", "n_host_root_br_2d_vm", "port")]
