"""Rules, added with topo's protocol number (FRA_PROTOCOL): a deletion names it too, so the
kernel never deletes an equal rule another tool made."""

from __future__ import annotations

from typing import Any

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...rtnl import AF_INET, AF_INET6, NLM_F_CREATE, NLM_F_EXCL, RTPROT_TOPO, Msg, rta, rta_str, rta_u32
from .model import Rule
from .read import (
    FIB_RULE_HDR,
    FR_ACT_TO_TBL,
    FRA_DST,
    FRA_FWMARK,
    FRA_FWMASK,
    FRA_IIFNAME,
    FRA_OIFNAME,
    FRA_PRIORITY,
    FRA_PROTOCOL,
    FRA_SRC,
    FRA_TABLE,
    RTM_DELRULE,
    RTM_NEWRULE,
)


def encode(rule: Rule, msg_type: int, flags: int) -> Msg:
    """RTM_NEWRULE or RTM_DELRULE for `rule` (its header's table is a byte: a larger number
    is only in FRA_TABLE, as iproute2 sends it)."""
    r = rule.normal()
    body = FIB_RULE_HDR.pack(AF_INET6 if r.family == 6 else AF_INET, r.dst.prefixlen if r.dst else 0,
                             r.src.prefixlen if r.src else 0, 0, r.table if r.table < 256 else 0, 0, 0, FR_ACT_TO_TBL, 0)
    body += rta_u32(FRA_TABLE, r.table) + rta_u32(FRA_PRIORITY, r.priority) + rta(FRA_PROTOCOL, bytes([RTPROT_TOPO]))
    if r.src is not None:
        body += rta(FRA_SRC, r.src.network_address.packed)
    if r.dst is not None:
        body += rta(FRA_DST, r.dst.network_address.packed)
    if r.iif is not None:
        body += rta_str(FRA_IIFNAME, r.iif)
    if r.oif is not None:
        body += rta_str(FRA_OIFNAME, r.oif)
    if r.fwmark is not None and r.fwmask is not None:
        body += rta_u32(FRA_FWMARK, r.fwmark) + rta_u32(FRA_FWMASK, r.fwmask)
    return Msg(msg_type, flags, body)


def _add(ex: Any, a: Action) -> Built:
    assert isinstance(a.payload, Rule)
    # exclusive: without it the kernel answers "done" to an equal rule and adds nothing
    return [Request(a.netns, encode(a.payload, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL), a)], []


def _delete(ex: Any, a: Action) -> Built:
    assert isinstance(a.payload, Rule)
    return [Request(a.netns, encode(a.payload, RTM_DELRULE, 0), a, tolerate_gone=True)], []


ADD_RULE = Op("add-rule", Stage.CONFIGURE, encode=_add)
DELETE_RULE = Op("delete-rule", Stage.DELETE, encode=_delete)
