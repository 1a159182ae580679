"""Reading macvlan devices from pyroute2-encoded RTM_NEWLINK replies: topo's parser, then the
kind's reader (through the registry) -> MacvlanFacts (mode by name, parent ifindex, and the id
of the parent's namespace when it is not the device's own)."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner import live
from provisioner.kinds.macvlan.read import MacvlanFacts, read
from provisioner.kinds.testing import DumpPool, DumpSocket, parse, pyroute2_bytes
from provisioner.rtnl import RTM_NEWLINK, parse_link


def macvlan_link(index: int, name: str, parent: int, mode: Any, netnsid: int | None) -> bytes:
    attrs: list[tuple[str, Any]] = [("IFLA_IFNAME", name), ("IFLA_MTU", 1400), ("IFLA_ADDRESS", "02:00:00:00:01:0a"),
                                    ("IFLA_IFALIAS", "topo:lab"), ("IFLA_LINK", parent)]
    if netnsid is not None:
        attrs.append(("IFLA_LINK_NETNSID", netnsid))
    attrs.append(("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "macvlan"),
                                              ("IFLA_INFO_DATA", {"attrs": [("IFLA_MACVLAN_MODE", mode)]})]}))
    return pyroute2_bytes(ifinfmsg, {"index": index, "flags": 1}, attrs, RTM_NEWLINK)


@pytest.mark.parametrize("mode,value", [("private", 1), ("vepa", 2), ("bridge", 4), ("passthru", 8), ("mode 16", 16)])
@pytest.mark.parametrize("netnsid", [None, 0, 3])
def test_macvlan_read(mode: str, value: int, netnsid: int | None) -> None:
    raw = parse(parse_link, macvlan_link(7, "eth0", 4, value, netnsid))
    want = MacvlanFacts(mode, 4, netnsid)
    assert read(raw) == want
    link = live._link(raw, {}, live.link_readers())  # the registry's reader, by the kernel's kind name
    assert (link.kind, link.info, link.link_index, link.peer_index) == ("macvlan", want, 4, None)
    assert (link.name, link.mtu, link.mac, link.alias, link.up) == ("eth0", 1400, "02:00:00:00:01:0a", "topo:lab", True)


def test_macvlan_read_without_info_data_has_no_mode() -> None:
    msg = pyroute2_bytes(ifinfmsg, {"index": 7}, [("IFLA_IFNAME", "mv0"), ("IFLA_LINK", 4), (
        "IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "macvlan")]})], RTM_NEWLINK)
    assert read(parse(parse_link, msg)) == MacvlanFacts("mode 0", 4, None)


def test_macvlan_read_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A namespace's dump: the macvlan gets its facts, the other links none."""
    monkeypatch.setattr(live, "read_managed_block", lambda *args: None)  # no /etc/hosts read
    lo = pyroute2_bytes(ifinfmsg, {"index": 1}, [("IFLA_IFNAME", "lo")], RTM_NEWLINK)
    sock = DumpSocket(link_msgs=[lo, macvlan_link(2, "eth0", 9, 4, 0)])
    ns = live.read_netns(DumpPool({None: sock}), None, (), "lab")  # type: ignore[arg-type]
    assert ns.links["eth0"].info == MacvlanFacts("bridge", 9, 0) and ns.links["eth0"].peer_in_other_netns
    assert ns.links["lo"].info is None and ns.links["lo"].kind == "loopback"
