"""Reading routes: RTM_NEWROUTE replies encoded by pyroute2, parsed by rtnl.parse_route, made
facts by live._route (every table but the kernel's local and default ones, devices by name)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from provisioner import live
from provisioner.kinds.testing import DumpPool, DumpSocket, parse, pyroute2_bytes
from provisioner.live import LiveRoute, _route
from provisioner.rtnl import RTM_NEWLINK, RTM_NEWROUTE, parse_route

NAMES = {2: "eth0", 3: "br0"}
V4 = {"family": 2, "table": 254, "proto": 151, "type": 1, "scope": 0}
V6 = {**V4, "family": 10}


def route(fields: dict[str, Any], attrs: list[tuple[str, Any]]) -> bytes:
    return pyroute2_bytes(rtmsg, fields, attrs, RTM_NEWROUTE)


def want(dst: str, via: str | None = None, dev: str | None = None, metric: int = 0, onlink: bool = False,
         src: str | None = None, proto: int = 151, rtype: int = 1, table: int = 254) -> LiveRoute:
    return LiveRoute(ipaddress.ip_network(dst), ipaddress.ip_address(via) if via else None, dev, metric, onlink,
                     ipaddress.ip_address(src) if src else None, proto, rtype, table)


CASES: dict[str, tuple[bytes, LiveRoute | None]] = {
    "default (no RTA_DST)": (route({**V4, "dst_len": 0}, [("RTA_TABLE", 254), ("RTA_GATEWAY", "10.9.0.1"), ("RTA_OIF", 2)]),
                             want("0.0.0.0/0", "10.9.0.1", "eth0")),
    "prefix, metric, src": (route({**V4, "dst_len": 16}, [("RTA_DST", "10.20.0.0"), ("RTA_PRIORITY", 100),
                                                          ("RTA_PREFSRC", "10.9.0.2"), ("RTA_OIF", 3)]),
                            want("10.20.0.0/16", None, "br0", 100, src="10.9.0.2")),
    "onlink": (route({**V4, "dst_len": 24, "flags": 4}, [("RTA_DST", "10.30.0.0"), ("RTA_GATEWAY", "192.0.2.1"),
                                                         ("RTA_OIF", 2)]),
               want("10.30.0.0/24", "192.0.2.1", "eth0", onlink=True)),
    "kernel protocol": (route({**V4, "dst_len": 24, "proto": 2, "scope": 253}, [("RTA_DST", "10.9.0.0"), ("RTA_OIF", 2),
                                                                                ("RTA_PREFSRC", "10.9.0.2")]),
                        want("10.9.0.0/24", None, "eth0", src="10.9.0.2", proto=2)),
    "blackhole type": (route({**V4, "dst_len": 16, "type": 6, "proto": 3}, [("RTA_DST", "10.40.0.0")]),
                       want("10.40.0.0/16", proto=3, rtype=6)),
    "IPv6 default, metric 1024": (route({**V6, "dst_len": 0}, [("RTA_GATEWAY", "fd00::1"), ("RTA_OIF", 2),
                                                               ("RTA_PRIORITY", 1024)]),
                                  want("::/0", "fd00::1", "eth0", 1024)),
    "IPv6 prefix": (route({**V6, "dst_len": 64}, [("RTA_DST", "fd01::"), ("RTA_OIF", 3), ("RTA_PRIORITY", 256)]),
                    want("fd01::/64", None, "br0", 256)),
    "table in RTA_TABLE beyond 255": (route({**V4, "dst_len": 8, "table": 252}, [("RTA_DST", "10.0.0.0"), ("RTA_TABLE", 1000)]),
                                      want("10.0.0.0/8", table=1000)),
    "table 100": (route({**V4, "dst_len": 0, "table": 100}, [("RTA_TABLE", 100), ("RTA_GATEWAY", "10.9.0.1"), ("RTA_OIF", 2)]),
                  want("0.0.0.0/0", "10.9.0.1", "eth0", table=100)),
    "default table": (route({**V4, "dst_len": 8, "table": 253}, [("RTA_DST", "10.0.0.0"), ("RTA_TABLE", 253)]), None),
    "local table": (route({**V4, "dst_len": 32, "table": 255, "type": 2}, [("RTA_DST", "10.9.0.2"), ("RTA_TABLE", 255)]),
                    None),
    "unknown device": (route({**V4, "dst_len": 8}, [("RTA_DST", "10.0.0.0"), ("RTA_OIF", 77)]), want("10.0.0.0/8")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_route_read(case: str) -> None:
    data, expected = CASES[case]
    assert _route(parse(parse_route, data), NAMES) == expected


def test_route_read_table_attribute_wins_over_the_header() -> None:
    raw = parse(parse_route, route({**V4, "dst_len": 8, "table": 252}, [("RTA_DST", "10.0.0.0"), ("RTA_TABLE", 1000)]))
    assert (raw.table, raw.family, raw.dst, raw.dst_len) == (1000, 2, "10.0.0.0", 8)


def test_route_read_namespace_keeps_routes_of_the_tables_a_lab_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "read_managed_block", lambda *args: None)
    link = pyroute2_bytes(ifinfmsg, {"index": 2}, [("IFLA_IFNAME", "eth0")], RTM_NEWLINK)
    sock = DumpSocket(link_msgs=[link], route_msgs=[data for data, _ in CASES.values()])
    ns = live.read_netns(DumpPool({None: sock}), None, (), "lab")  # type: ignore[arg-type]
    main = [r for _, r in CASES.values() if r is not None]
    assert len(ns.routes) == len(main) and {r.dst for r in ns.routes} == {r.dst for r in main}
    assert all(r.dev in (None, "eth0") for r in ns.routes)  # br0 is not in this dump
