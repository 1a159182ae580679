"""Addresses: the file's on each interface, except those the kernel adds by itself."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects, IPv4AddressGoes
from ...core.keys import AddressKey, LinkKey
from ...core.plan import Change
from ...model import Interface, IPInterface
from .ops import ADD_ADDRESS, DELETE_ADDRESS, AddressSpec

if TYPE_CHECKING:
    from ...live import LiveNetns

_LOOPBACK_ADDRESSES = (ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128"))


def automatic(ifname: str, addr: IPInterface) -> bool:
    """Addresses the kernel adds by itself: IPv6 link-local, and lo's loopback addresses."""
    if addr.version == 6 and addr.ip.is_link_local:
        return True
    return ifname == "lo" and addr in _LOOPBACK_ADDRESSES


def _add(out: Outcome, netns: str | None, iface: Interface, addr: IPInterface, change: Change,
         before: str | None = None, after: str | None = None, announce: bool = False) -> None:
    op = DELETE_ADDRESS if change is Change.DELETE else ADD_ADDRESS
    brd = iface.broadcasts.get(addr) if change is not Change.DELETE else None
    if after is not None and brd is not None:
        after += f" broadcast {brd}"
    spec = AddressSpec(iface.name, addr, again=change is Change.UPDATE, announce=announce, broadcast=brd)
    out.add(op, change, netns, f"address {addr} on {iface.name}", spec,
            before=before, after=after, key=AddressKey(netns, iface.name, addr), links=(LinkKey(netns, iface.name),))


def other_broadcast(iface: Interface, live: LiveNetns | None, have: set[IPInterface]) -> set[IPInterface]:
    """The addresses there whose broadcast is not the file's (the kernel keeps an address's
    broadcast when it is added again: such an address is deleted and added)."""
    brds = live.broadcasts.get(iface.name, {}) if live is not None else {}
    return {a for a in have if a.version == 4 and a in set(iface.addresses) and brds.get(a) != iface.broadcasts.get(a)}


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        live = ctx.live_ns(name, effects)
        for iface in ns.interfaces.values():
            fresh = live is None or effects.link_made(name, iface.name) or iface.name not in live.links
            have = set() if fresh else {a for a in live.addresses.get(iface.name, set()) if not automatic(iface.name, a)}  # type: ignore[union-attr]
            if effects.goes_down(name, iface.name):
                have = {a for a in have if a.version == 4}  # the kernel flushes IPv6 addresses of a link set down
            want = set(iface.addresses)
            stale = other_broadcast(iface, live, have)
            have -= stale
            gone = sorted((have - want) | stale, key=str)
            for addr in gone:
                _add(out, name, iface, addr, Change.DELETE, before=str(addr) + (" (another broadcast)" if addr in stale else ""))
            # a link made anew where the lab was before: its neighbours may know the old MAC
            # (a first apply's links have none to tell)
            made = effects.link_made(name, iface.name) and (not effects.made(name) or effects.remade(name))
            for addr in sorted(want - have, key=str):
                _add(out, name, iface, addr, Change.CREATE, after=str(addr), announce=made)
            v4_gone = [a for a in gone if a.version == 4]
            if v4_gone:
                out.effect(IPv4AddressGoes(name))
                # deleting a primary IPv4 address deletes its secondaries too: add back the kept ones
                for addr in sorted(have & want, key=str):
                    if addr.version == 4 and any(addr.network == g.network for g in v4_gone):
                        _add(out, name, iface, addr, Change.UPDATE, before="dropped with a removed address", after=str(addr))
    return out
