"""Tun/tap devices: made by the /dev/net/tun ioctls inside their namespace (device.py), then
given their settings (MTU, MAC, master, alias, up) by one RTM_NEWLINK there; remade when
their mode, owner or multi-queue flag differs (or they are not persistent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.diff import ForeignDiff
from ...core.keys import LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Request
from ...model import Interface
from ..link.apply import LinkSpec, link_msg
from ..link.diff import LinkDiff, link_summary, spec_of
from .device import make_persistent
from .model import KIND, Tap
from .read import TapFacts, read

if TYPE_CHECKING:
    from ...live import LiveLink


@dataclass(frozen=True)
class TapSpec:
    link: LinkSpec
    tap: Tap


def _create(ex: Any, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, TapSpec)
    t = spec.tap
    with ex.pool.inside(a.netns):
        make_persistent(spec.link.name, t.mode, t.uid, t.multi_queue)
    ex.forget_indexes(a.netns)
    ex.send([Request(a.netns, link_msg(ex, a.netns, spec.link.name, spec.link), a)])


CREATE_TAP = Op("create-tap", Stage.CREATE, run=_create)


def describe(t: Tap) -> str:
    """`tap`, `tun, owner qemu, multi-queue`: as plans and diagrams say it."""
    parts = [t.mode]
    if t.owner is not None:
        parts.append(f"owner {t.owner}")
    if t.multi_queue:
        parts.append("multi-queue")
    return ", ".join(parts)


def facts_text(facts: Any) -> str:
    if not isinstance(facts, TapFacts):
        return "tun device"
    parts = [facts.mode]
    if facts.uid is not None:
        parts.append(f"owner uid {facts.uid}")
    if facts.multi_queue:
        parts.append("multi-queue")
    if not facts.persist:
        parts.append("not persistent")
    return ", ".join(parts)


def same(facts: Any, t: Tap) -> bool:
    return (isinstance(facts, TapFacts) and facts.persist and facts.mode == t.mode and facts.uid == t.uid
            and facts.multi_queue == t.multi_queue)


class TapLink:
    name = KIND
    paired = False
    read = staticmethod(read)

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        t = iface.spec
        assert isinstance(t, Tap)
        if link is not None:
            if not d.claim(netns, link, KIND):
                if not d.owned(netns, link):
                    return
            elif same(link.info, t):
                return
            elif d.owned(netns, link) or d.ctx.adopt:
                d.delete(netns, link, "tun device, changed mode, owner or queues", before=facts_text(link.info))
            else:  # another's: compared, never changed
                d.out.foreign.append(ForeignDiff(LinkKey(netns, link.name), f"link {link.name}", netns,
                                                 f"~ tun {link.name}: {facts_text(link.info)} -> {describe(t)}"))
                return
        d.out.add(CREATE_TAP, Change.CREATE, netns, f"tap {iface.name}", TapSpec(spec_of(iface, d.ctx.alias), t),
                  after=f"{link_summary(iface)}, {describe(t)}", key=LinkKey(netns, iface.name),
                  links=(LinkKey(netns, iface.name),))
        d.made(netns, iface.name)

    def pairs(self, d: LinkDiff) -> None:
        """Not paired."""
