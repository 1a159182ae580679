"""Capture of taps from hand-built facts (root-free): a persistent tun/tap device becomes the
model's tap (owner by user name when the machine has one); the others are refused with why."""

from __future__ import annotations

import pytest

from provisioner.capture_core import Captured, Options
from provisioner.capture_core import Notes
from provisioner.kinds.link.capture import capture_link_settings
from provisioner.kinds.tap.capture import capture_link
from provisioner.kinds.tap.model import Tap
from provisioner.kinds.tap.read import TapFacts
from provisioner.live import LiveLink, LiveNetns
from provisioner.model import IMPLICIT_NODE, Interface, Netns, Place

UNUSED_UID = 4_000_000_123  # no user has it: written as the number


def _link(info: object, mtu: int = 1500, txqlen: int = 1000) -> LiveLink:
    return LiveLink(7, "tap0", "tun", None, mtu, "02:00:00:00:00:07", True, None, None, info=info, txqlen=txqlen)


def _captured() -> Captured:
    return Captured({"pod-a": LiveNetns("pod-a")}, {"pod-a": Netns(Place(IMPLICIT_NODE, "pod-a"))})  # type: ignore[arg-type]


@pytest.mark.parametrize("facts,want,mac", [
    (TapFacts("tap", 0, True, True), Tap("tap", "root", 0, True), "02:00:00:00:00:07"),
    (TapFacts("tap", UNUSED_UID, False, True), Tap("tap", str(UNUSED_UID), UNUSED_UID), "02:00:00:00:00:07"),
    (TapFacts("tun", None, False, True), Tap("tun"), None),  # a tun device has no MAC to write
])
def test_a_persistent_device_is_captured(facts: TapFacts, want: Tap, mac: str | None) -> None:
    cap = _captured()
    assert capture_link(cap, "pod-a", _link(facts, mtu=1400), Options()) is None
    assert cap.netns["pod-a"].interfaces["tap0"] == Interface("tap0", "tun", mtu=1400, mac=mac, spec=want)


@pytest.mark.parametrize("facts,why", [
    (TapFacts("tap", None, False, False), "not persistent: it goes when the program that made it closes it"),
    (TapFacts("type 5", None, False, True), "a tun device of type 5 type, which topo does not model"),
    (None, "a tun device of an unknown type, which topo does not model"),
])
def test_refused_devices(facts: TapFacts | None, why: str) -> None:
    cap = _captured()
    assert capture_link(cap, "pod-a", _link(facts), Options()) == why
    assert cap.interfaces == []


@pytest.mark.parametrize("mode,txqlen,written", [
    ("tun", 500, None),  # the kernel's for a tun device (TUN_READQ_SIZE)
    ("tap", 1000, None),  # a tap device's Ethernet setup gives the usual 1000
    ("tun", 1000, 1000),
    ("tap", 500, 500),
])
def test_queue_length_written_when_not_the_kernels_for_the_mode(mode: str, txqlen: int, written: int | None) -> None:
    cap = _captured()
    link = _link(TapFacts(mode, None, False, True), txqlen=txqlen)
    cap.live["pod-a"].links["tap0"] = link
    assert capture_link(cap, "pod-a", link, Options()) is None
    capture_link_settings(cap, Notes())
    assert cap.netns["pod-a"].interfaces["tap0"].txqueuelen == written
