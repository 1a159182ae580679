"""The steps every kind of link shares: changing a link's settings, deleting a link."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...rtnl import (
    IFF_UP,
    IFLA_ADDRESS,
    IFLA_BRPORT_MODE,
    IFLA_IFALIAS,
    IFLA_IFNAME,
    IFLA_INFO_KIND,
    IFLA_INFO_SLAVE_DATA,
    IFLA_INFO_SLAVE_KIND,
    IFLA_LINKINFO,
    IFLA_MASTER,
    IFLA_MTU,
    IFLA_TXQLEN,
    NLM_F_CREATE,
    NLM_F_EXCL,
    RTM_DELLINK,
    RTM_NEWLINK,
    Msg,
    ifinfo,
    is_gone,
    rta,
    rta_str,
    rta_u32,
)

VANISH_TIMEOUT = 30.0


@dataclass(frozen=True)
class LinkSpec:
    """What a new or changed link should look like (None: leave as it is)."""

    name: str = ""
    mtu: int | None = None
    mac: str | None = None
    up: bool | None = None
    master: str | None = None
    nomaster: bool = False
    alias: str | None = None
    txqlen: int | None = None
    hairpin: bool | None = None  # a bridge port's hairpin mode (a request of its own, after the master is set)
    vanishes: bool = False  # for deletions: goes away with a namespace this plan deletes


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def link_attrs(ex: Any, netns: str | None, name: str, spec: LinkSpec) -> list[bytes]:
    """The attributes every link request has: name, MTU, MAC, master."""
    attrs = [rta_str(IFLA_IFNAME, name)]
    if spec.mtu is not None:
        attrs.append(rta_u32(IFLA_MTU, spec.mtu))
    if spec.mac is not None:
        attrs.append(rta(IFLA_ADDRESS, mac_bytes(spec.mac)))
    if spec.txqlen is not None:
        attrs.append(rta_u32(IFLA_TXQLEN, spec.txqlen))
    if spec.master is not None:
        attrs.append(rta_u32(IFLA_MASTER, ex.index(netns, spec.master)))
    elif spec.nomaster:
        attrs.append(rta_u32(IFLA_MASTER, 0))
    return attrs


def link_msg(ex: Any, netns: str | None, name: str, spec: LinkSpec, *, create: str | None = None) -> Msg:
    """RTM_NEWLINK that changes (or, with `create=KIND`, creates) link `name`, by name."""
    flags = change = 0
    if spec.up is not None:
        flags, change = (IFF_UP if spec.up else 0), IFF_UP
    attrs = link_attrs(ex, netns, name, spec)
    if spec.alias is not None and create is None:
        attrs.append(rta_str(IFLA_IFALIAS, spec.alias))
    if create is not None:
        attrs.append(rta(IFLA_LINKINFO, rta_str(IFLA_INFO_KIND, create)))
    body = ifinfo(0, flags, change) + b"".join(attrs)
    return Msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL if create else 0, body)


def port_msg(name: str, hairpin: bool) -> Msg:
    """RTM_NEWLINK that sets bridge port `name`'s hairpin mode (IFLA_INFO_SLAVE_DATA, as `ip link
    set NAME type bridge_slave hairpin on`). The kernel applies a port's settings before the
    rest of a request: this one goes after the request that makes the link a port."""
    port = rta(IFLA_INFO_SLAVE_DATA, rta(IFLA_BRPORT_MODE, bytes([int(hairpin)])))
    info = rta(IFLA_LINKINFO, rta_str(IFLA_INFO_SLAVE_KIND, "bridge") + port)
    return Msg(RTM_NEWLINK, 0, ifinfo() + rta_str(IFLA_IFNAME, name) + info)


def _set_link(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, LinkSpec) and spec.name
    requests = [Request(a.netns, link_msg(ex, a.netns, spec.name, spec), a)]
    if spec.hairpin is not None:
        requests.append(Request(a.netns, port_msg(spec.name, spec.hairpin), a))
    return requests, []


@dataclass(frozen=True)
class RenameSpec:
    """A link of the lab renamed in place, named by its index (read by the plan)."""

    index: int
    old: str
    new: str


def rename_msg(spec: RenameSpec) -> Msg:
    return Msg(RTM_NEWLINK, 0, ifinfo(spec.index) + rta_str(IFLA_IFNAME, spec.new))


def _rename_link(ex: Any, a: Action) -> Built:
    assert isinstance(a.payload, RenameSpec)
    return [Request(a.netns, rename_msg(a.payload), a)], []


def _delete_link(ex: Any, a: Action) -> None:
    """Delete a link now (the ones that vanish with a deleted namespace were waited for by
    `_wait_vanishing`: the kernel removes those in one batch, much faster)."""
    assert isinstance(a.payload, LinkSpec)
    msg = Msg(RTM_DELLINK, 0, ifinfo() + rta_str(IFLA_IFNAME, a.payload.name))
    err = ex.pool.socket(a.netns).batch([msg])[0]
    ex.forget_indexes(a.netns)
    if err is not None and not is_gone(err):
        raise err


def _wait_vanishing(ex: Any, actions: list[Action]) -> list[Action]:
    """Links that go with the namespaces this run deleted: one dump per namespace and poll
    for all of them (not one per link); the ones still there after the timeout, and every
    other deletion, are returned to be deleted one by one."""
    waiting: dict[str | None, dict[str, Action]] = {}
    rest = []
    for a in actions:
        assert isinstance(a.payload, LinkSpec)
        if a.payload.vanishes:
            waiting.setdefault(a.netns, {})[a.payload.name] = a
        else:
            rest.append(a)
    deadline = time.monotonic() + VANISH_TIMEOUT
    while waiting and time.monotonic() < deadline:
        for netns in list(waiting):
            present = {link.name for link in ex.pool.socket(netns).links()}
            for name in [n for n in waiting[netns] if n not in present]:
                ex.finish(waiting[netns].pop(name))
            if not waiting[netns]:
                del waiting[netns]
        if waiting:
            time.sleep(0.02)
    ex.forget_indexes()
    leftover = [a for by_name in waiting.values() for a in by_name.values()]
    # still there after the wait: delete them outright
    return [replace(a, payload=replace(a.payload, vanishes=False)) for a in leftover] + rest


DELETE_LINK = Op("delete-link", Stage.DELETE, run=_delete_link, prepare=_wait_vanishing)
SET_LINK = Op("set-link", Stage.CONFIGURE, encode=_set_link)
RENAME_LINK = Op("rename-link", Stage.RENAME, encode=_rename_link)
