"""Renames in place: which kernels rename a link that is up, the namespace as the later kinds
see it once links are renamed, and the request."""

import ipaddress

import pytest

from provisioner.kinds.link.apply import RenameSpec, rename_msg
from provisioner.live import LiveLink, LiveNetns, LiveRoute, renames_while_up
from provisioner.rtnl import IFLA_IFNAME, RTM_NEWLINK, ifinfo, rta_str


@pytest.mark.parametrize("release, up", [
    ("6.18.44-fc-v1045", True), ("6.2.0", True), ("6.1.0-27-amd64", False), ("5.10.0-32-amd64", False),
    ("7.0", True), ("6.10rc1", True), ("6.1rc9", False), ("weird", False), ("", False),
])
def test_kernels_that_rename_a_link_that_is_up(release: str, up: bool) -> None:
    assert renames_while_up(release) is up


def _link(index: int, name: str, master: str | None = None) -> LiveLink:
    return LiveLink(index, name, "veth", "topo:lab", 1500, "02:00:00:00:00:0%d" % index, True, master, None)


def test_the_namespace_seen_with_its_renamed_links() -> None:
    net = ipaddress.ip_network
    live = LiveNetns("pod1", links={"br-a": _link(1, "br-a"), "eth0": _link(2, "eth0", master="br-a")},
                     addresses={"br-a": set(), "eth0": {ipaddress.ip_interface("10.0.0.2/24")}},
                     routes=[LiveRoute(net("0.0.0.0/0"), ipaddress.ip_address("10.0.0.1"), "eth0", 0, False, None, 4)],
                     sysctls={"net.ipv4.conf.net0.rp_filter": None, "net.ipv4.ip_forward": "1"},
                     missing_sysctls={"net.ipv4.conf.net0.rp_filter", "net.ipv4.conf.bogus.rp_filter"})
    seen = live.renamed({"eth0": "net0", "br-a": "br-x"})
    assert sorted(seen.links) == ["br-x", "net0"]
    assert (seen.links["net0"].index, seen.links["net0"].master) == (2, "br-x")
    assert seen.addresses["net0"] == {ipaddress.ip_interface("10.0.0.2/24")} and "eth0" not in seen.addresses
    assert [r.dev for r in seen.routes] == ["net0"]
    # the new name's file does not exist before the rename: not missing, not known
    assert seen.missing_sysctls == {"net.ipv4.conf.bogus.rp_filter"}
    assert seen.sysctls == {"net.ipv4.conf.net0.rp_filter": None, "net.ipv4.ip_forward": "1"}
    assert sorted(live.links) == ["br-a", "eth0"]  # the facts themselves are not changed


def test_a_rename_is_one_request_by_index() -> None:
    msg = rename_msg(RenameSpec(7, "eth0", "net0"))
    assert (msg.type, msg.flags) == (RTM_NEWLINK, 0)
    assert msg.body == ifinfo(7) + rta_str(IFLA_IFNAME, "net0")
