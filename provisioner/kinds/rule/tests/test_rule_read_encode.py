"""Rules on the wire, root-free: RTM_NEWRULE replies encoded by pyroute2 (an independent
encoder) read by topo's parser; topo's RTM_NEWRULE/RTM_DELRULE requests decoded by pyroute2."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from pyroute2.netlink.rtnl.fibmsg import fibmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.rule.model import NO_MASK, Rule
from provisioner.kinds.rule.ops import ADD_RULE, DELETE_RULE
from provisioner.kinds.rule.read import RTM_DELRULE, RTM_NEWRULE, LiveRule, parse_rule
from provisioner.kinds.testing import FakeExecutor, decode, parse, pyroute2_bytes
from provisioner.rtnl import NLM_F_CREATE, NLM_F_EXCL

V4 = {"family": 2, "action": 1, "table": 100}
NET = ipaddress.ip_network


def reply(fields: dict[str, Any], attrs: list[tuple[str, Any]]) -> bytes:
    return pyroute2_bytes(fibmsg, fields, attrs, RTM_NEWRULE)


READ: dict[str, tuple[bytes, LiveRule]] = {
    "from, table, topo's protocol": (
        reply({**V4, "src_len": 24}, [("FRA_TABLE", 100), ("FRA_PRIORITY", 100), ("FRA_SRC", "10.9.1.0"), ("FRA_PROTOCOL", 151)]),
        LiveRule(Rule(4, 100, 100, NET("10.9.1.0/24")), 151)),
    "the kernel's main rule (FRA_SUPPRESS_PREFIXLEN -1: not set)": (
        reply({**V4, "table": 254}, [("FRA_TABLE", 254), ("FRA_SUPPRESS_PREFIXLEN", 0xFFFFFFFF), ("FRA_PRIORITY", 32766),
                                     ("FRA_PROTOCOL", 2)]),
        LiveRule(Rule(4, 32766, 254), 2)),
    "the local rule: priority 0 (no attribute)": (
        reply({**V4, "table": 255}, [("FRA_TABLE", 255), ("FRA_PROTOCOL", 2)]), LiveRule(Rule(4, 0, 255), 2)),
    "IPv6 to, iif, oif, fwmark/mask, a table above 255": (
        reply({"family": 10, "action": 1, "dst_len": 64, "table": 0},
              [("FRA_TABLE", 1000), ("FRA_PRIORITY", 5), ("FRA_DST", "fd00:1::"), ("FRA_IIFNAME", "eth1"),
               ("FRA_OIFNAME", "eth2"), ("FRA_FWMARK", 16), ("FRA_FWMASK", 255), ("FRA_PROTOCOL", 151)]),
        LiveRule(Rule(6, 5, 1000, None, NET("fd00:1::/64"), "eth1", "eth2", 16, 255), 151)),
    "tos: not plain": (reply({**V4, "tos": 16}, [("FRA_TABLE", 100), ("FRA_PRIORITY", 7), ("FRA_PROTOCOL", 3)]),
                       LiveRule(Rule(4, 7, 100), 3, plain=False)),
    "suppress_prefixlength 0: not plain": (
        reply({**V4, "table": 254}, [("FRA_TABLE", 254), ("FRA_SUPPRESS_PREFIXLEN", 0), ("FRA_PRIORITY", 9)]),
        LiveRule(Rule(4, 9, 254), 0, plain=False)),
    "goto: not plain": (reply({**V4, "action": 2}, [("FRA_TABLE", 0), ("FRA_PRIORITY", 7), ("FRA_GOTO", 9)]),
                        LiveRule(Rule(4, 7, 0), 0, plain=False)),
}


@pytest.mark.parametrize("case", sorted(READ))
def test_rule_read(case: str) -> None:
    data, expected = READ[case]
    assert parse(parse_rule, data) == expected


ENCODE: dict[str, tuple[Any, Rule, dict[str, Any], dict[str, Any]]] = {
    "add: from -> table 100": (
        ADD_RULE, Rule(4, 100, 100, NET("10.9.1.0/24")),
        {"family": 2, "src_len": 24, "dst_len": 0, "table": 100, "action": 1, "tos": 0, "flags": 0},
        {"FRA_TABLE": 100, "FRA_PRIORITY": 100, "FRA_PROTOCOL": 151, "FRA_SRC": "10.9.1.0", "FRA_DST": None,
         "FRA_IIFNAME": None, "FRA_FWMARK": None}),
    "add: IPv6, iif, oif, fwmark without a mask (all bits), table 1000": (
        ADD_RULE, Rule(6, 9, 1000, None, NET("fd00:1::/64"), "eth1", "eth2", 16),
        {"family": 10, "dst_len": 64, "table": 0},
        {"FRA_TABLE": 1000, "FRA_DST": "fd00:1::", "FRA_IIFNAME": "eth1", "FRA_OIFNAME": "eth2", "FRA_FWMARK": 16,
         "FRA_FWMASK": NO_MASK}),
    "delete names the protocol (never another's equal rule)": (
        DELETE_RULE, Rule(4, 100, 100, NET("10.9.1.0/24")), {"family": 2, "src_len": 24, "table": 100},
        {"FRA_PROTOCOL": 151, "FRA_PRIORITY": 100, "FRA_SRC": "10.9.1.0"}),
}


@pytest.mark.parametrize("case", sorted(ENCODE))
def test_rule_encode(case: str) -> None:
    op, rule, fields, attrs = ENCODE[case]
    requests, followups = op.encode(FakeExecutor({}), Action(op, Change.CREATE, "pod1", "rule", rule))
    assert followups == [] and len(requests) == 1
    req = requests[0]
    add = op is ADD_RULE
    assert (req.netns, req.msg.type, req.msg.flags, req.tolerate_gone) == (
        "pod1", RTM_NEWRULE if add else RTM_DELRULE, NLM_F_CREATE | NLM_F_EXCL if add else 0, not add)
    msg = decode(req.msg, fibmsg)
    assert {k: msg[k] for k in fields} == fields
    assert {k: msg.get_attr(k) for k in attrs} == attrs


def test_rule_dump_leaves_out_multicast_routing_families() -> None:
    from provisioner.kinds.rule.read import read
    from provisioner.kinds.testing import DumpSocket

    msgs = [reply({**V4, "family": f}, [("FRA_TABLE", 100), ("FRA_PRIORITY", 1)]) for f in (2, 10, 128, 129)]
    assert [r.rule.family for r in read(DumpSocket(rule_msgs=msgs))] == [4, 6]


def test_rule_round_trip_through_the_wire() -> None:
    """What topo sends, read back by topo's parser, is the rule (as the kernel echoes it)."""
    rule = Rule(4, 30, 7, NET("10.0.0.0/8"), NET("10.1.0.0/16"), "eth0", None, 1, 3)
    msg = ADD_RULE.encode(FakeExecutor({}), Action(ADD_RULE, Change.CREATE, None, "rule", rule))[0][0].msg
    data = b"\0" * 16 + msg.body
    assert parse(parse_rule, data) == LiveRule(rule, 151)
