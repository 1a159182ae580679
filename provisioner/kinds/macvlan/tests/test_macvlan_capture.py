"""Capture of macvlans from hand-built facts (root-free): a macvlan whose parent is a link of
the root namespace becomes the model's macvlan (in its namespace, or the root); the others are
refused with the reason."""

from __future__ import annotations

import pytest

from provisioner.capture_core import Captured, Options
from provisioner.kinds.macvlan.capture import capture_link
from provisioner.kinds.macvlan.model import Macvlan
from provisioner.kinds.macvlan.read import MacvlanFacts
from provisioner.live import LiveLink, LiveNetns
from provisioner.model import IMPLICIT_NODE, Interface, Netns, Place


def _link(index: int, name: str, kind: str, info: object = None, mtu: int = 1500, up: bool = True) -> LiveLink:
    return LiveLink(index, name, kind, None, mtu, f"02:00:00:00:00:0{index}", up, None, None, info=info)


def _captured(*, root: bool = True) -> Captured:
    live = {"pod-a": LiveNetns("pod-a")}
    netns = {"pod-a": Netns(Place(IMPLICIT_NODE, "pod-a"))}
    if root:
        live[None] = LiveNetns(None, links={"eth0": _link(2, "eth0", ""), "br-mv": _link(4, "br-mv", "bridge")})  # type: ignore[index]
        netns[None] = Netns(Place(IMPLICIT_NODE))  # type: ignore[index]
    return Captured(live, netns)  # type: ignore[arg-type]


def test_a_pods_macvlan_on_a_root_bridge() -> None:
    cap = _captured()
    link = _link(7, "eth0", "macvlan", MacvlanFacts("private", 4, 0), mtu=1400)
    assert capture_link(cap, "pod-a", link, Options()) is None
    assert cap.netns["pod-a"].interfaces["eth0"] == Interface("eth0", "macvlan", mtu=1400, mac="02:00:00:00:00:07",
                                                             spec=Macvlan("br-mv", "private"))
    assert cap.interfaces == [("pod-a", cap.netns["pod-a"].interfaces["eth0"])]


def test_a_root_macvlan_on_the_nodes_link_default_mtu_left_out_no_mac() -> None:
    cap = _captured()
    link = _link(8, "mv0", "macvlan", MacvlanFacts("bridge", 2, None), up=False)
    assert capture_link(cap, None, link, Options(macs=False)) is None
    assert cap.netns[None].interfaces["mv0"] == Interface("mv0", "macvlan", up=False, spec=Macvlan("eth0", "bridge"))


@pytest.mark.parametrize("ns,facts,why", [
    ("pod-a", MacvlanFacts("mode 16", 4, 0), "a macvlan in mode 16 mode, which topo does not model"),
    ("pod-a", None, "a macvlan in an unknown mode, which topo does not model"),
    ("pod-a", MacvlanFacts("bridge", 4, None), "its parent is not in the root namespace"),  # a link of the pod's own
    (None, MacvlanFacts("bridge", 4, 3), "its parent is not in the root namespace"),  # a root macvlan on a pod's link
    ("pod-a", MacvlanFacts("bridge", 99, 0), "its parent is not a link of the root namespace topo can name"),
])
def test_refused_macvlans(ns: str | None, facts: MacvlanFacts | None, why: str) -> None:
    cap = _captured()
    assert capture_link(cap, ns, _link(7, "mv1", "macvlan", facts), Options()) == why
    assert cap.interfaces == [] and "mv1" not in cap.netns[ns].interfaces


def test_without_the_root_namespace_the_parent_cannot_be_named() -> None:
    cap = _captured(root=False)
    assert capture_link(cap, "pod-a", _link(7, "eth0", "macvlan", MacvlanFacts("bridge", 4, 0)), Options()) == \
        "its parent is not a link of the root namespace topo can name"
