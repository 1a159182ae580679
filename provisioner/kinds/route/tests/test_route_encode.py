"""The route ops' requests, decoded by pyroute2: topo's protocol, the table (main, or another), the scope,
the kernel's metric, gateway, device, source, onlink."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.route.ops import DELETE_ROUTE, SET_ROUTE, RouteSpec
from provisioner.kinds.testing import FakeExecutor, decode
from provisioner.model import Route
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELROUTE, RTM_NEWROUTE

EX = FakeExecutor({(None, "br0"): 3, ("pod1", "eth0"): 2})


def r(dst: str, via: str | None = None, dev: str | None = None, metric: int | None = None, onlink: bool = False,
      src: str | None = None, table: int = 254) -> Route:
    return Route(ipaddress.ip_network(dst), ipaddress.ip_address(via) if via else None, dev, metric, onlink,
                 ipaddress.ip_address(src) if src else None, table=table)


CASES: dict[str, tuple[Any, str | None, Route, bool, int, int, dict[str, Any], dict[str, Any]]] = {
    # case: (op, netns, route, replace, type, flags, header fields, attributes (None: absent))
    "default via, in a namespace (replace)": (
        SET_ROUTE, "pod1", r("0.0.0.0/0", "10.9.0.1"), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"family": 2, "dst_len": 0, "proto": 151, "scope": 0, "type": 1, "flags": 0, "table": 254},
        {"RTA_TABLE": 254, "RTA_DST": None, "RTA_PRIORITY": 0, "RTA_GATEWAY": "10.9.0.1", "RTA_OIF": None}),
    "root route is exclusive": (
        SET_ROUTE, None, r("10.10.0.0/16", "10.9.0.2", "br0", 100), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
        {"family": 2, "dst_len": 16, "proto": 151, "scope": 0},
        {"RTA_DST": "10.10.0.0", "RTA_PRIORITY": 100, "RTA_GATEWAY": "10.9.0.2", "RTA_OIF": 3}),
    "root replace planned": (
        SET_ROUTE, None, r("10.10.0.0/16", "10.9.0.2"), True, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"proto": 151}, {"RTA_GATEWAY": "10.9.0.2"}),
    "device route: link scope, src": (
        SET_ROUTE, "pod1", r("10.20.0.0/24", dev="eth0", src="10.9.0.2"), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"scope": 253, "dst_len": 24}, {"RTA_OIF": 2, "RTA_PREFSRC": "10.9.0.2", "RTA_GATEWAY": None}),
    "onlink": (
        SET_ROUTE, "pod1", r("10.30.0.0/24", "192.0.2.1", "eth0", onlink=True), False, RTM_NEWROUTE,
        NLM_F_CREATE | NLM_F_REPLACE, {"flags": 4, "scope": 0}, {"RTA_GATEWAY": "192.0.2.1", "RTA_OIF": 2}),
    "IPv6: the kernel's metric 1024": (
        SET_ROUTE, "pod1", r("fd01::/64", "fd00::1", "eth0"), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"family": 10, "dst_len": 64}, {"RTA_DST": "fd01::", "RTA_PRIORITY": 1024, "RTA_GATEWAY": "fd00::1"}),
    "table 100: in the header and RTA_TABLE": (
        SET_ROUTE, "pod1", r("0.0.0.0/0", "10.9.0.1", table=100), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"table": 100, "proto": 151}, {"RTA_TABLE": 100, "RTA_GATEWAY": "10.9.0.1"}),
    "table 1000: only in RTA_TABLE (the header's is a byte)": (
        SET_ROUTE, "pod1", r("10.20.0.0/16", "10.9.0.1", table=1000), False, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
        {"table": 0}, {"RTA_TABLE": 1000}),
    "delete in table 100": (
        DELETE_ROUTE, "pod1", r("0.0.0.0/0", "10.9.0.1", table=100), False, RTM_DELROUTE, 0,
        {"table": 100, "proto": 0}, {"RTA_TABLE": 100, "RTA_DST": None}),
    "delete matches any scope, no protocol, no gateway": (
        DELETE_ROUTE, "pod1", r("10.20.0.0/16", "10.9.0.1", "eth0", 100), False, RTM_DELROUTE, 0,
        {"family": 2, "dst_len": 16, "proto": 0, "scope": 255, "type": 1, "flags": 0, "table": 254},
        {"RTA_TABLE": 254, "RTA_DST": "10.20.0.0", "RTA_PRIORITY": 100, "RTA_GATEWAY": None, "RTA_OIF": None}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_route_encode(case: str) -> None:
    op, netns, route, replace, msg_type, flags, fields, attrs = CASES[case]
    action = Action(op, Change.CREATE, netns, "route", RouteSpec(route, replace))
    requests, followups = op.encode(EX, action)
    assert followups == [] and len(requests) == 1
    req = requests[0]
    assert (req.netns, req.tolerate_gone, req.msg.type, req.msg.flags) == (netns, op is DELETE_ROUTE, msg_type, flags)
    msg = decode(req.msg, rtmsg)
    assert {k: msg[k] for k in fields} == fields
    assert {k: msg.get_attr(k) for k in attrs} == attrs
