"""Bridges: made in a node's root namespace; the MTU set apart from the creation."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...core.keys import LinkKey
from ...core.plan import Action, Change, Op, Stage
from ...core.requests import Built, Request
from ...model import Interface, Kind
from ..link.apply import LinkSpec, link_msg
from ..link.diff import LinkDiff, link_summary, spec_of
from ..link.rename import rename_alone
from .original import keep_original

if TYPE_CHECKING:
    from ...live import LiveLink


def random_mac() -> str:
    """A random locally administered unicast MAC (as the kernel's eth_random_addr makes)."""
    raw = bytearray(os.urandom(6))
    raw[0] = (raw[0] & 0xFE) | 0x02
    return ":".join(f"{b:02x}" for b in raw)


def _create(ex: Any, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, LinkSpec) and spec.name
    # a MAC given at creation is the bridge's own: without one the kernel takes the MAC of its
    # lowest port, so every port that comes or goes (another lab's pod sharing the bridge)
    # changes it and leaves the other pods' neighbour entries pointing at a MAC gone
    create = link_msg(ex, a.netns, spec.name, LinkSpec(mac=spec.mac or random_mac(), up=spec.up), create="bridge")
    # the MTU in a second request: set at creation the kernel does not count it as chosen and
    # resets it to 1500 when the last port leaves (br_mtu_auto_adjust)
    settings = link_msg(ex, a.netns, spec.name, LinkSpec(mtu=spec.mtu, alias=spec.alias))
    return [Request(a.netns, create, a), Request(a.netns, settings, a)], []


CREATE_BRIDGE = Op("create-bridge", Stage.CREATE, encode=_create)


class Bridge:
    name = Kind.BRIDGE
    paired = False

    def plan(self, d: LinkDiff, netns: str | None, iface: Interface, link: LiveLink | None) -> None:
        if link is not None and (d.claim(netns, link, "bridge") or not d.owned(netns, link)):
            if netns is None and d.effects.foreign_link(None, link.name):
                keep_original(d, iface.name, link)  # another's, which the kernel changes as the lab's ports come and go
            else:
                d.ctx.record.bridges.pop(iface.name, None)  # the lab's (made or adopted): destroy deletes it
            return  # the lab's bridge (its settings come later), or another's object
        # none, or the lab's device of another kind, deleted by the claim: make the bridge
        d.out.add(CREATE_BRIDGE, Change.CREATE, netns, f"bridge {iface.name}", spec_of(iface, d.ctx.alias, master=False),
                  after=link_summary(iface), key=LinkKey(netns, iface.name), links=(LinkKey(netns, iface.name),))
        d.made(netns, iface.name)

    def pairs(self, d: LinkDiff) -> None:
        """Not paired."""

    def renames(self, d: LinkDiff) -> None:
        rename_alone(d, "bridge")
