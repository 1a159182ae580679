"""What every kind of link shares among its kernel facts: a bridge port's settings
(IFLA_INFO_SLAVE_DATA of a link whose master is a bridge)."""

from __future__ import annotations

from dataclasses import dataclass

from ...rtnl import IFLA_BRPORT_MODE, RawLink, attributes

_FLAGS = {  # IFLA_BRPORT_* (u8 flags) topo does not model, with the kernel's default for a new port
    5: ("bpdu_guard", 0), 6: ("root_block", 0), 7: ("fastleave", 0), 8: ("learning", 1), 9: ("flood", 1),
    10: ("proxy_arp", 0), 12: ("proxy_arp_wifi", 0), 27: ("mcast_flood", 1), 28: ("mcast_to_unicast", 0),
    29: ("vlan_tunnel", 0), 30: ("bcast_flood", 1), 32: ("neigh_suppress", 0), 33: ("isolated", 0), 39: ("locked", 0),
}


@dataclass(frozen=True)
class PortFacts:
    """A bridge port's hairpin mode, and its other settings that are not the kernel's default
    (`learning off`, ...: topo does not model them; capture says it leaves them out)."""

    hairpin: bool = False
    unmodelled: tuple[str, ...] = ()


def read_port(raw: RawLink) -> PortFacts | None:
    """The port settings of a bridge port; None for a link that is not one."""
    if raw.slave_kind != "bridge":
        return None
    hairpin = False
    other: list[str] = []
    for t, value in attributes(raw.slave_data):
        if not value:
            continue
        if t == IFLA_BRPORT_MODE:
            hairpin = bool(value[0])
        elif t in _FLAGS and len(value) == 1 and value[0] != _FLAGS[t][1]:
            other.append(f"{_FLAGS[t][0]} {'on' if value[0] else 'off'}")
    return PortFacts(hairpin, tuple(other))
