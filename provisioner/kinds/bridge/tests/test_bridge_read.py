"""Reading a bridge and its ports from one dump (pyroute2-encoded replies)."""

from __future__ import annotations

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.kinds.testing import parse, pyroute2_bytes
from provisioner.live import _link
from provisioner.rtnl import RTM_NEWLINK, parse_link


def _raw(index: int, attrs: list) -> object:
    return parse(parse_link, pyroute2_bytes(ifinfmsg, {"index": index, "flags": 1}, attrs, RTM_NEWLINK))


def test_bridge_read_bridge_and_port() -> None:
    bridge = _raw(4, [("IFLA_IFNAME", "cni0"), ("IFLA_MTU", 1450), ("IFLA_IFALIAS", "topo:lab"),
                      ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "bridge")]})])
    port = _raw(5, [("IFLA_IFNAME", "veth1"), ("IFLA_MASTER", 4),
                    ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "veth")]})])
    names = {r.index: r.name for r in (bridge, port)}  # type: ignore[attr-defined]
    b, p = _link(bridge, names, {}), _link(port, names, {})  # type: ignore[arg-type]
    assert (b.kind, b.name, b.mtu, b.alias, b.master, b.info) == ("bridge", "cni0", 1450, "topo:lab", None, None)
    assert (p.kind, p.master) == ("veth", "cni0")
