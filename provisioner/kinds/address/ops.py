"""Addresses on links: added and removed over netlink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...model import IPAddress, IPInterface
from ...rtnl import (
    AF_INET,
    AF_INET6,
    IFA_ADDRESS,
    IFA_BROADCAST,
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
    announce: bool = False  # on a link the plan makes: tell the neighbours at once (gratuitous ARP)
    broadcast: IPAddress | None = None  # IFA_BROADCAST (IPv4)


def encode(index: int, addr: IPInterface, msg_type: int, flags: int, broadcast: IPAddress | None = None) -> Msg:
    raw = addr.ip.packed
    body = ifaddr(AF_INET6 if addr.version == 6 else AF_INET, addr.network.prefixlen, index)
    body += rta(IFA_LOCAL, raw) + rta(IFA_ADDRESS, raw)
    if broadcast is not None and msg_type == RTM_NEWADDR:
        body += rta(IFA_BROADCAST, broadcast.packed)
    if addr.version == 6 and msg_type == RTM_NEWADDR:
        body += rta_u32(IFA_FLAGS, IFA_F_NODAD)
    return Msg(msg_type, flags, body)


def _add(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    flags = NLM_F_CREATE | (NLM_F_REPLACE if spec.again else NLM_F_EXCL)
    return [Request(a.netns, encode(ex.index(a.netns, spec.ifname), spec.address, RTM_NEWADDR, flags, spec.broadcast), a)], []


def _delete(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    msg = encode(ex.index(a.netns, spec.ifname), spec.address, RTM_DELADDR, 0)
    return [Request(a.netns, msg, a, tolerate_gone=True)], []


def _announce(ex: Any, actions: list[Action]) -> None:
    """A gratuitous ARP for each new IPv4 address of a link the plan made: a neighbour that
    knew the address with the old link's MAC (a router, the other pods) takes the new one now,
    not when its entry times out (~30 s and more)."""
    from .announce import announce

    for a in actions:
        spec = a.payload
        if isinstance(spec, AddressSpec) and spec.announce and spec.address.version == 4:
            with ex.pool.inside(a.netns):
                announce(spec.ifname, spec.address.ip)


ADD_ADDRESS = Op("add-address", Stage.CONFIGURE, encode=_add, after=_announce)
DELETE_ADDRESS = Op("delete-address", Stage.DELETE, encode=_delete)
