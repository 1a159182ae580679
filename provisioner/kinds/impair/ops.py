"""Impairments: topo's root qdisc on an interface (handle 7470:), set with RTM_NEWQDISC
(create or replace: a qdisc of the same kind changes in place) and removed with RTM_DELQDISC
(the kernel gives the device its default qdisc back). Loss without sch_netem: a transaction
on the lab's netdev table of the namespace (drop.py), through libnftables in that namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...core.requests import Built, Request
from ...rtnl import NLM_F_CREATE, NLM_F_REPLACE, Msg, rta, rta_str
from .read import RTM_DELQDISC, RTM_NEWQDISC, TC_H_ROOT, TCA_KIND, TCA_OPTIONS, TCMSG, TOPO_HANDLE
from .drop import DropChange
from .tc import Netem, Tbf


@dataclass(frozen=True)
class QdiscSpec:
    ifname: str
    options: Netem | Tbf | None = None  # None: a deletion

    @property
    def kind(self) -> str:
        return "netem" if isinstance(self.options, Netem) else "tbf"


def request(spec: QdiscSpec, ifindex: int) -> Msg:
    """The RTM_NEWQDISC (options given) or RTM_DELQDISC of topo's root qdisc on `ifindex`."""
    body = TCMSG.pack(0, ifindex, TOPO_HANDLE, TC_H_ROOT, 0)
    if spec.options is None:
        return Msg(RTM_DELQDISC, 0, body)
    body += rta_str(TCA_KIND, spec.kind) + rta(TCA_OPTIONS, spec.options.encode())
    return Msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, body)


def _encode(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, QdiscSpec)
    return [Request(a.netns, request(spec, ex.index(a.netns, spec.ifname)), a, tolerate_gone=spec.options is None)], []


SET_QDISC = Op("set-qdisc", Stage.CONFIGURE, encode=_encode)
DELETE_QDISC = Op("delete-qdisc", Stage.DELETE, encode=_encode)


def _drop(ex: Any, a: Action) -> None:
    from .read import nft_run

    change = a.payload
    assert isinstance(change, DropChange)
    with ex.pool.inside(a.netns):
        nft_run(change.commands(), "change the lab's netdev table")


SET_DROP = Op("set-loss-drop", Stage.CONFIGURE, run=_drop)
DELETE_DROP = Op("delete-loss-drop", Stage.DELETE, run=_drop)
