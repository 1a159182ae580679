"""Addresses on links: added and removed over netlink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...model import IPInterface
from ...rtnl import (
    AF_INET,
    AF_INET6,
    IFA_ADDRESS,
    IFA_F_NODAD,
    IFA_FLAGS,
    IFA_LOCAL,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REPLACE,
    RTM_DELADDR,
    RTM_NEWADDR,
    Msg,
    ifaddr,
    rta,
    rta_u32,
)


@dataclass(frozen=True)
class AddressSpec:
    ifname: str
    address: IPInterface
    again: bool = False  # re-add one the kernel drops with another (NLM_F_REPLACE: no error if still there)


def encode(index: int, addr: IPInterface, msg_type: int, flags: int) -> Msg:
    raw = addr.ip.packed
    body = ifaddr(AF_INET6 if addr.version == 6 else AF_INET, addr.network.prefixlen, index)
    body += rta(IFA_LOCAL, raw) + rta(IFA_ADDRESS, raw)
    if addr.version == 6 and msg_type == RTM_NEWADDR:
        body += rta_u32(IFA_FLAGS, IFA_F_NODAD)
    return Msg(msg_type, flags, body)


def _add(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    flags = NLM_F_CREATE | (NLM_F_REPLACE if spec.again else NLM_F_EXCL)
    return [Request(a.netns, encode(ex.index(a.netns, spec.ifname), spec.address, RTM_NEWADDR, flags), a)], []


def _delete(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    msg = encode(ex.index(a.netns, spec.ifname), spec.address, RTM_DELADDR, 0)
    return [Request(a.netns, msg, a, tolerate_gone=True)], []


ADD_ADDRESS = Op("add-address", Stage.CONFIGURE, encode=_add)
DELETE_ADDRESS = Op("delete-address", Stage.DELETE, encode=_delete)
