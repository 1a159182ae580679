"""The page's netlink: interface counters (IFLA_STATS64) and event subscriptions (RTNLGRP_LINK,
the address and route groups) in the lab's namespaces. Read only: nothing is sent but dumps."""

from __future__ import annotations

import os
import select
import socket
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from ..netns import NETNS_OPEN, entered
from ..rtnl import _IFINFO, RTM_GETLINK, _attrs, _cstr
from ..rtnlsock import RtnlSocket

IFLA_IFNAME = 3
IFLA_STATS64 = 23
# the multicast groups (as the bind mask of the original interface): RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
# RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE
GROUPS = 0x1 | 0x10 | 0x40 | 0x100 | 0x400
_STATS64 = struct.Struct("=8Q")  # the first fields of struct rtnl_link_stats64


@dataclass(frozen=True)
class Counters:
    rx_packets: int
    tx_packets: int
    rx_bytes: int
    tx_bytes: int
    rx_errors: int
    tx_errors: int
    rx_dropped: int
    tx_dropped: int

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def link_counters(sock: RtnlSocket) -> dict[str, Counters]:
    """Each interface's counters in the socket's namespace, by name."""
    out = {}
    for data, off, length in sock.dump(RTM_GETLINK, _IFINFO.pack(0, 0, 0, 0, 0)):
        name, stats = "", None
        for t, a, b in _attrs(data, off + 16 + _IFINFO.size, off + length):
            if t == IFLA_IFNAME:
                name = _cstr(data, a, b)
            elif t == IFLA_STATS64 and b - a >= _STATS64.size:
                stats = Counters(*_STATS64.unpack_from(data, a))
        if name and stats is not None:
            out[name] = stats
    return out


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK, 0)
    sock.bind((0, GROUPS))
    return sock


@dataclass
class Listener:
    """A subscription in one namespace, and which namespace (its inode) it listens in."""

    netns: str | None
    inode: int
    sock: socket.socket


def listen(netns_run: Path, netns: str | None, home_fd: int) -> Listener:
    """Subscribe to the events of namespace NETNS (None: this one); FileNotFoundError if it is not there."""
    if netns is None:
        return Listener(None, os.stat("/proc/thread-self/ns/net").st_ino, _listener())
    fd = os.open(netns_run / netns, NETNS_OPEN)
    try:
        inode = os.fstat(fd).st_ino
        with entered(fd, home_fd):
            return Listener(netns, inode, _listener())
    finally:
        os.close(fd)


def wait_events(listeners: list[Listener], timeout: float) -> bool:
    """Wait up to `timeout` seconds for an event in any namespace; read every pending one.
    True when there was one."""
    if not listeners:
        return False
    ready, _, _ = select.select([item.sock for item in listeners], [], [], timeout)
    for sock in ready:
        try:
            while sock.recv(1 << 16):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # ENOBUFS: events were lost; the caller reads the whole state anyway
            pass
    return bool(ready)
