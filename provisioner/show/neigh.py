"""The neighbour table (`ip neigh`) of a namespace, read over netlink (RTM_GETNEIGH), as the
live reader reads links and routes: one dump per namespace through the pool's socket."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ..rtnl import _NDMSG, NDA_DST, NDA_LLADDR, NUD_NOARP, RTM_GETNEIGH, _attrs
from ..rtnlsock import RtnlSocket

NUD_NAMES = {0x01: "INCOMPLETE", 0x02: "REACHABLE", 0x04: "STALE", 0x08: "DELAY", 0x10: "PROBE", 0x20: "FAILED",
             0x40: "NOARP", 0x80: "PERMANENT"}
"""The kernel's neighbour states (linux/neighbour.h), as `ip neigh` names them."""


@dataclass(frozen=True)
class RawNeighbour:
    index: int  # the interface's ifindex
    address: str
    lladdr: str  # "" when the kernel has none yet (INCOMPLETE, FAILED)
    state: int


def state_names(state: int) -> list[str]:
    """The NUD_* flags of STATE by name (`ip -j neigh`'s "state" list)."""
    return [name for bit, name in NUD_NAMES.items() if state & bit] or ["NONE"]


def parse_neighbour(data: bytes, off: int, length: int) -> RawNeighbour | None:
    family, index, state, _flags, _type = _NDMSG.unpack_from(data, off + 16)
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    address, lladdr = "", ""
    for t, a, b in _attrs(data, off + 28, off + length):
        if t == NDA_DST:
            address = socket.inet_ntop(family, bytes(data[a:b]))
        elif t == NDA_LLADDR:
            lladdr = ":".join(f"{x:02x}" for x in data[a:b])
    return RawNeighbour(index, address, lladdr, state) if address else None


def read_neighbours(sock: RtnlSocket) -> list[RawNeighbour]:
    """IPv4 and IPv6 neighbours, as `ip neigh` lists them (without NOARP entries, which it
    leaves out unless asked for `nud all`)."""
    out = []
    for data, off, length in sock.dump(RTM_GETNEIGH, _NDMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)):
        entry = parse_neighbour(data, off, length)
        if entry is not None and not entry.state & NUD_NOARP:
            out.append(entry)
    return out
