"""Capture of an interface's addresses from its facts (root-free)."""

from ipaddress import ip_interface

from provisioner.kinds.address.capture import capture_addresses


def _ifs(*texts: str) -> list:
    return [ip_interface(t) for t in texts]


def test_the_kernels_own_addresses_are_left_out_in_order() -> None:
    got = capture_addresses("lo", _ifs("127.0.0.1/8", "10.0.0.1/32", "::1/128", "fe80::1/64", "fd00::1/64"))
    assert got == tuple(_ifs("10.0.0.1/32", "fd00::1/64"))


def test_loopback_addresses_on_another_interface_are_kept_once() -> None:
    got = capture_addresses("eth0", _ifs("fd00::2/64", "127.0.0.1/8", "fd00::2/64", "fe80::9/64"))
    assert got == tuple(_ifs("fd00::2/64", "127.0.0.1/8"))
