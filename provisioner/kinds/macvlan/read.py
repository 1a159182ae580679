"""A macvlan device's facts as the kernel reports them: its mode (IFLA_INFO_DATA) and its
parent (IFLA_LINK, an index in the root namespace when IFLA_LINK_NETNSID names it)."""

from __future__ import annotations

from dataclasses import dataclass

from ...rtnl import RawLink, attributes, u32
from .model import MODES

IFLA_MACVLAN_MODE = 1


@dataclass(frozen=True)
class MacvlanFacts:
    mode: str  # a name from MODES, or "mode N" for one topo does not model (source)
    parent_index: int
    parent_netnsid: int | None  # None: the parent is in the device's own namespace


def mode_name(value: int) -> str:
    return next((name for name, v in MODES.items() if v == value), f"mode {value}")


def read(raw: RawLink) -> MacvlanFacts:
    mode = 0
    for t, value in attributes(raw.info_data):
        if t == IFLA_MACVLAN_MODE:
            mode = u32(value)
    return MacvlanFacts(mode_name(mode), raw.link, raw.link_netnsid)
