"""The sysctl kind's facts (root-free: /proc/sys is only read): a value, the keys with no file,
and the `default` key that tells whether an interface's key will exist."""

from __future__ import annotations

import pytest

from provisioner.kinds.sysctl.read import interface_of, missing, proxy, read, to_read


@pytest.mark.parametrize("key,ifname,stand_in", [
    ("net.ipv4.conf.eth0.forwarding", "eth0", "net.ipv4.conf.default.forwarding"),
    ("net.ipv6.conf.veth/1.accept_ra", "veth.1", "net.ipv6.conf.default.accept_ra"),
    ("net.ipv4.neigh.eth0.gc_stale_time", "eth0", "net.ipv4.neigh.default.gc_stale_time"),
    ("net.ipv4.conf.all.forwarding", None, None),
    ("net.ipv4.ip_forward", None, None),
])
def test_interface_keys_and_their_stand_ins(key: str, ifname: str | None, stand_in: str | None) -> None:
    assert interface_of(key) == ifname and proxy(key) == stand_in


def test_existing_and_missing_keys() -> None:
    assert read("net.ipv4.ip_forward") in ("0", "1")
    assert missing(["net.ipv4.ip_forward", "net.ipv4.ip_froward", "../../etc/passwd"]) == {"net.ipv4.ip_froward", "../../etc/passwd"}
    assert read("net.ipv4.ip_froward") is None and read("../../etc/passwd") is None
    assert to_read({"net.ipv4.conf.eth0.forwarding"}) == {"net.ipv4.conf.eth0.forwarding", "net.ipv4.conf.default.forwarding"}
