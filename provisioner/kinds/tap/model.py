"""A tun/tap device's own settings: its mode, its owner and whether it has several queues."""

from __future__ import annotations

from dataclasses import dataclass

KIND = "tun"
"""The kernel's kind of tun and tap devices (IFLA_INFO_KIND), and their `Interface.kind`."""
MODES = {"tun": 0x0001, "tap": 0x0002}
"""IFF_TUN (IP packets) and IFF_TAP (Ethernet frames), linux/if_tun.h: IFLA_TUN_TYPE's values."""
DEFAULT_MODE = "tap"


@dataclass(frozen=True)
class Tap:
    """`owner`: the user (a name, or a uid) who may open the device without CAP_NET_ADMIN,
    as the file gives it; `uid` is that user's number (None: no owner, root only)."""

    mode: str = DEFAULT_MODE
    owner: str | None = None
    uid: int | None = None
    multi_queue: bool = False
