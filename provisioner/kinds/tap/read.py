"""A tun/tap device's facts as the kernel reports them (IFLA_INFO_DATA, IFLA_TUN_*,
linux/if_link.h): its type, owner, multi-queue and persist flags."""

from __future__ import annotations

from dataclasses import dataclass

from ...rtnl import RawLink, attributes, u32
from .model import MODES

IFLA_TUN_OWNER = 1
IFLA_TUN_GROUP = 2
IFLA_TUN_TYPE = 3
IFLA_TUN_PI = 4
IFLA_TUN_VNET_HDR = 5
IFLA_TUN_PERSIST = 6
IFLA_TUN_MULTI_QUEUE = 7
_FLAGS = {IFLA_TUN_PERSIST: "persist", IFLA_TUN_MULTI_QUEUE: "multi_queue"}


@dataclass(frozen=True)
class TapFacts:
    mode: str  # a name from MODES, or "type N"
    uid: int | None  # None: no owner
    multi_queue: bool
    persist: bool


def mode_name(value: int) -> str:
    return next((name for name, v in MODES.items() if v == value), f"type {value}")


def read(raw: RawLink) -> TapFacts:
    found: dict[str, bool] = {}
    mode, uid = 0, None
    for t, value in attributes(raw.info_data):
        if t == IFLA_TUN_TYPE and value:
            mode = value[0]
        elif t == IFLA_TUN_OWNER and len(value) >= 4:
            uid = u32(value)
        elif t in _FLAGS and value:
            found[_FLAGS[t]] = bool(value[0])
    return TapFacts(mode_name(mode), uid, found.get("multi_queue", False), found.get("persist", False))
