"""A VXLAN device's forwarding entries: frames for unknown MACs go to every other node too
(head-end replication: all-zero MAC entries, one per remote underlay address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import FdbKey, LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Built, Request
from ...model import IPAddress
from ...rtnl import (
    AF_BRIDGE,
    NDA_DST,
    NDA_LLADDR,
    NLM_F_APPEND,
    NLM_F_CREATE,
    NTF_SELF,
    NUD_NOARP,
    NUD_PERMANENT,
    RTM_DELNEIGH,
    RTM_NEWNEIGH,
    Msg,
    ndmsg,
    rta,
)


@dataclass(frozen=True)
class FdbSpec:
    """A forwarding entry of a VXLAN device: frames for unknown MACs go to `remote` too."""

    ifname: str
    remote: IPAddress


def _msg(ex: Any, a: Action, msg_type: int, flags: int) -> Msg:
    spec = a.payload
    assert isinstance(spec, FdbSpec)
    body = ndmsg(AF_BRIDGE, ex.index(a.netns, spec.ifname), NUD_PERMANENT | NUD_NOARP, NTF_SELF)
    body += rta(NDA_LLADDR, bytes(6)) + rta(NDA_DST, spec.remote.packed)
    return Msg(msg_type, flags, body)


def _add(ex: Any, a: Action) -> Built:
    return [Request(a.netns, _msg(ex, a, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND), a)], []


def _delete(ex: Any, a: Action) -> Built:
    return [Request(a.netns, _msg(ex, a, RTM_DELNEIGH, 0), a, tolerate_gone=True)], []


ADD_FDB = Op("add-fdb", Stage.CONNECT, encode=_add)
DELETE_FDB = Op("delete-fdb", Stage.DELETE, encode=_delete)


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    live = ctx.live_ns(None, effects)
    for iface in ctx.node.root.interfaces.values():
        if iface.vxlan is None:
            continue
        fresh = live is None or effects.link_made(None, iface.name) or iface.name not in live.links
        have = set() if fresh else live.fdb.get(iface.name, set())  # type: ignore[union-attr]
        want = set(iface.vxlan.remotes)
        links = (LinkKey(None, iface.name),)
        for remote in sorted(have - want, key=str):
            out.add(DELETE_FDB, Change.DELETE, None, f"vxlan {iface.name} remote {remote}", FdbSpec(iface.name, remote),
                    before=str(remote), key=FdbKey(None, iface.name, remote), links=links)
        for remote in sorted(want - have, key=str):
            out.add(ADD_FDB, Change.CREATE, None, f"vxlan {iface.name} remote {remote}", FdbSpec(iface.name, remote),
                    after=str(remote), key=FdbKey(None, iface.name, remote), links=links)
    return out
