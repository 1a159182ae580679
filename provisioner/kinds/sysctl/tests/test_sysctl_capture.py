"""Capture of a namespace's sysctls from their facts (root-free)."""

from provisioner.kinds.sysctl.capture import CAPTURED_SYSCTLS, capture_sysctls


def test_only_the_forwarding_switches_that_are_on() -> None:
    values = {"net.ipv6.conf.all.forwarding": "1", "net.ipv4.ip_forward": "0", "net.ipv4.conf.all.rp_filter": "1"}
    assert capture_sysctls(values) == {"net.ipv6.conf.all.forwarding": "1"}


def test_in_captured_order_and_unread_keys_left_out() -> None:
    assert list(capture_sysctls({"net.ipv6.conf.all.forwarding": "1", "net.ipv4.ip_forward": "1"})) == list(CAPTURED_SYSCTLS)
    assert capture_sysctls({"net.ipv4.ip_forward": None}) == {}
