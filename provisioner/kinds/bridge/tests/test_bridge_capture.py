"""Capture of root bridges and their ports from their facts (root-free)."""

from provisioner.capture_core import Captured, Notes
from provisioner.kinds.bridge.capture import capture_bridge, capture_masters, drop_portless, keep_chosen_mtu
from provisioner.live import LiveLink, LiveNetns
from provisioner.model import IMPLICIT_NODE, Interface, Kind, Netns, Place


def _link(index: int, name: str, kind: str, master: str | None = None, mtu: int = 1500) -> LiveLink:
    return LiveLink(index, name, kind, None, mtu, f"02:00:00:00:00:0{index}", True, master, None)


def _captured(*links: LiveLink, unnamed: tuple[LiveLink, ...] = ()) -> Captured:
    live = LiveNetns(None, links={link.name: link for link in links})
    return Captured({None: live}, {None: Netns(Place(IMPLICIT_NODE))}, unnamed={None: {u.name: u for u in unnamed}})


def test_bridge_from_facts_mtu_only_when_not_default() -> None:
    assert capture_bridge(_link(3, "br0", "bridge"), macs=True) == Interface("br0", Kind.BRIDGE, mac="02:00:00:00:00:03")
    assert capture_bridge(_link(3, "br0", "bridge", mtu=9000), macs=False) == Interface("br0", Kind.BRIDGE, mtu=9000)


def test_ports_of_captured_bridges_get_their_master_others_are_noted() -> None:
    cap = _captured(_link(3, "br0", "bridge"), _link(4, "v0", "veth", "br0"), _link(5, "v1", "veth", "vx0"),
                    _link(6, "vx0", "vxlan"), _link(7, "v2", "veth", "bad name"), unnamed=(_link(8, "bad name", "bridge"),))
    for link in ("br0", "v0", "v1", "v2"):
        cap.add(None, Interface(link, Kind.BRIDGE if link == "br0" else Kind.VETH))
    notes = Notes()
    capture_masters(cap, notes)
    assert {n: i.master for n, i in cap.netns[None].interfaces.items()} == {"br0": None, "v0": "br0", "v1": None, "v2": None}
    assert notes.skipped == ["veth v1 in the root namespace: its master vxlan vx0 is not captured; written without it",
                             "veth v2 in the root namespace: its master ifindex 8 is not captured; written without it"]


def test_portless_bridges_dropped_and_a_chosen_mtu_kept() -> None:
    root = Netns(Place(IMPLICIT_NODE), {"br0": Interface("br0", Kind.BRIDGE), "br1": Interface("br1", Kind.BRIDGE),
                                        "v0": Interface("v0", Kind.VETH, mtu=9000, master="br0")})
    notes = Notes()
    drop_portless(root, notes)
    assert list(root.interfaces) == ["br0", "v0"]
    assert notes.left_out == ["bridge br1 (no port in the namespaces named with --netns)"]
    keep_chosen_mtu(root)
    assert root.interfaces["br0"].mtu == 1500
