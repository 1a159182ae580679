"""Capture of a namespace's lo from its facts (root-free)."""

from provisioner.kinds.loopback.capture import capture_loopback
from provisioner.live import LiveLink
from provisioner.model import Kind


def test_default_loopback_has_no_settings_and_never_a_mac() -> None:
    iface = capture_loopback(LiveLink(1, "lo", "loopback", None, 65536, "00:00:00:00:00:00", True, None, None))
    assert (iface.name, iface.kind, iface.mtu, iface.mac, iface.up) == ("lo", Kind.LOOPBACK, None, None, True)


def test_a_changed_loopback_keeps_its_mtu_and_state() -> None:
    iface = capture_loopback(LiveLink(1, "lo", "loopback", None, 1500, "00:00:00:00:00:00", False, None, None))
    assert (iface.mtu, iface.mac, iface.up) == (1500, None, False)
