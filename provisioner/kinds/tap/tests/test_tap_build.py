"""The tap builder: each tap at `OWNER:IFNAME` (a namespace, a node, or a bridge it becomes a
port of), its owner resolved to a uid, and the refusals, each at its place in the file."""

from __future__ import annotations

import pwd

import pytest

from provisioner.diagnostics import format_path
from provisioner.kinds.tap.model import Tap
from provisioner.loader import load_text
from provisioner.validate import validate_document

LAB = "name: lab\nbridges: {br-vm: {}}\nnamespaces:\n  pod-a: {}\ntaps:\n"
ROOT = pwd.getpwuid(0).pw_name


def problems(text: str) -> list[tuple[str, str]]:
    return [(format_path(d.path), d.message) for d in validate_document(load_text("t.yaml", text)).diagnostics]


def test_taps_on_a_bridge_in_a_namespace_and_in_the_root() -> None:
    text = LAB + (f"  - {{at: 'br-vm:tap-vm', owner: {ROOT}, multi_queue: true, mac: '02:00:00:00:01:0a', hairpin: true}}\n"
                  "  - {at: 'pod-a:tun0', mode: tun, mtu: 1400, addresses: [10.88.0.1/24]}\n"
                  "  - {at: 'host:tap1', owner: 4321, up: false, description: spare}\n")
    topo = validate_document(load_text("t.yaml", text)).topology
    assert topo is not None
    node = topo.nodes["host"]
    vm = node.root.interfaces["tap-vm"]
    assert (vm.kind, vm.spec, vm.master, vm.mac, vm.hairpin) == ("tun", Tap("tap", ROOT, 0, True), "br-vm", "02:00:00:00:01:0a", True)
    tun0 = node.namespaces["pod-a"].interfaces["tun0"]
    assert (tun0.spec, tun0.mtu, [str(a) for a in tun0.addresses], tun0.master) == (Tap("tun"), 1400, ["10.88.0.1/24"], None)
    tap1 = node.root.interfaces["tap1"]
    assert (tap1.spec, tap1.up, tap1.description) == (Tap("tap", "4321", 4321), False, "spare")


@pytest.mark.parametrize("taps,expected", [
    ("{at: 'pod-x:tap0'}", [("taps[0].at", "'pod-x' is not a namespace, bridge or node of this lab")]),
    ("{at: 'pod-a:averyverylongname0'}",
     [("taps[0].at", "interface name 'averyverylongname0' is 18 characters; Linux allows 1 to 15 bytes")]),
    ("{at: 'pod-a:lo'}", [("taps[0].at", "'lo' already exists in pod-a as a loopback")]),
    ("{at: 'host:br-vm'}", [("taps[0].at", "'br-vm' already exists in host as a bridge")]),
    ("{at: 'pod-a:tap0'}\n  - {at: 'pod-a:tap0', mode: tun}", [("taps[1].at", "'tap0' already exists in pod-a as a tun")]),
    ("{at: 'br-vm:tun0', mode: tun}", [("taps[0].mode", "a tun device carries IP packets, not Ethernet frames: bridge br-vm "
                                                        "cannot take it as a port")]),
    ("{at: 'pod-a:tun0', mode: tun, mac: '02:00:00:00:00:01'}", [("taps[0].mac", "a tun device has no MAC address")]),
    ("{at: 'pod-a:tap0', owner: no-such-user-here}", [("taps[0].owner", "user 'no-such-user-here' does not exist on this machine")]),
    ("{at: 'pod-a:tap0', owner: -1}", [("taps[0].owner", "-1 is less than the minimum of 0")]),
    ("{at: 'pod-a:tap0', mode: tunnel}", [("taps[0].mode", "'tunnel' is not one of ['tap', 'tun']")]),
])
def test_refused_taps(taps: str, expected: list[tuple[str, str]]) -> None:
    assert problems(LAB + f"  - {taps}\n") == expected


def test_a_bridge_on_two_nodes_is_ambiguous() -> None:
    text = "name: lab\nnodes: {n1: {bridges: {br: {}}}, n2: {bridges: {br: {}}}}\ntaps:\n  - {at: 'br:tap0'}\n"
    assert problems(text) == [("taps[0].at", "bridge br is on nodes n1, n2; a tap's `at` cannot say which")]
