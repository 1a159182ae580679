"""Routes (of the main table or another), added with topo's protocol number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...model import Route
from ...rtnl import (
    AF_INET,
    AF_INET6,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REPLACE,
    RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE,
    RT_SCOPE_UNIVERSE,
    RT_TABLE_UNSPEC,
    RTA_DST,
    RTA_GATEWAY,
    RTA_OIF,
    RTA_PREFSRC,
    RTA_PRIORITY,
    RTA_TABLE,
    RTM_DELROUTE,
    RTM_NEWROUTE,
    RTN_UNICAST,
    RTNH_F_ONLINK,
    RTPROT_TOPO,
    Msg,
    rta,
    rta_u32,
    rtmsg_body,
)


@dataclass(frozen=True)
class RouteSpec:
    route: Route
    replace: bool = False


def encode(r: Route, msg_type: int, flags: int, index: Callable[[str], int]) -> Msg:
    """RTM_NEWROUTE or RTM_DELROUTE for `r`; `index` gives a device's ifindex."""
    new = msg_type == RTM_NEWROUTE
    # deletions match any scope (RT_SCOPE_NOWHERE); the kernel compares it exactly otherwise
    scope = (RT_SCOPE_UNIVERSE if r.via is not None else RT_SCOPE_LINK) if new else RT_SCOPE_NOWHERE
    # the header's table is a byte: a larger number is only in RTA_TABLE (as iproute2 sends it)
    body = rtmsg_body(AF_INET6 if r.dst.version == 6 else AF_INET, r.dst.prefixlen, r.table if r.table < 256 else RT_TABLE_UNSPEC,
                      RTPROT_TOPO if new else 0, scope, RTN_UNICAST, RTNH_F_ONLINK if (new and r.onlink) else 0)
    body += rta_u32(RTA_TABLE, r.table)
    if r.dst.prefixlen:
        body += rta(RTA_DST, r.dst.network_address.packed)
    body += rta_u32(RTA_PRIORITY, r.kernel_metric)
    if new:
        if r.via is not None:
            body += rta(RTA_GATEWAY, r.via.packed)
        if r.dev is not None:
            body += rta_u32(RTA_OIF, index(r.dev))
        if r.src is not None:
            body += rta(RTA_PREFSRC, r.src.packed)
    return Msg(msg_type, flags, body)


def _set(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, RouteSpec)
    # a new route in the node's own namespace must not take the place of one that appeared
    # since the plan (it would be another tool's): there, only a planned replace replaces
    replace = spec.replace or a.netns is not None
    flags = NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL)
    return [Request(a.netns, encode(spec.route, RTM_NEWROUTE, flags, lambda dev: ex.index(a.netns, dev)), a)], []


def _delete(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, RouteSpec)
    msg = encode(spec.route, RTM_DELROUTE, 0, lambda dev: ex.index(a.netns, dev))
    return [Request(a.netns, msg, a, tolerate_gone=True)], []


SET_ROUTE = Op("set-route", Stage.CONFIGURE, encode=_set)
DELETE_ROUTE = Op("delete-route", Stage.DELETE, encode=_delete)
