"""A lean rtnetlink transport: one raw NETLINK_ROUTE socket per namespace, pipelined requests,
and compact decoders for the few attributes topo reads.

Requests are built with pyroute2's message classes (ifinfmsg, ifaddrmsg, rtmsg), which
encode rtnetlink correctly, including nested link info. What pyroute2 does slowly is the
transport (an asyncio round trip per request) and decoding every attribute of every reply
(its maintainers suggest custom parsers for dumps: pyroute2 issue #1080). Here many requests
go out in one send and their acknowledgements are read back together, and dumps are parsed
with struct, reading only what the live-state reader needs.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

if TYPE_CHECKING:
    from pyroute2.netlink import nlmsg

# rtnetlink constants (linux/netlink.h, linux/rtnetlink.h); pyroute2 is imported only to encode
# nested requests, so that read-only commands start fast
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_DUMP = 0x1, 0x4, 0x100, 0x200, 0x400, 0x300
RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE = 16, 17, 20, 21, 24, 25
NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12
IFLA_EXT_MASK = 29
RTEXT_FILTER_SKIP_STATS = 1 << 3
RT_TABLE_UNSPEC, RT_TABLE_DEFAULT, RT_TABLE_MAIN, RT_TABLE_LOCAL = 0, 253, 254, 255
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
RTM_GETLINK = 18
RTM_GETADDR = 22
RTM_GETROUTE = 26
IFF_UP = 1
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
RTM_NEWNSID, RTM_GETNSID = 88, 90
NETNSA_NSID, NETNSA_FD = 1, 3
NLM_F_APPEND = 0x800
AF_BRIDGE = 7
NDA_DST, NDA_LLADDR = 1, 2
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80
NTF_SELF = 0x02
# links (linux/if_link.h)
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD, IFLA_IFALIAS = 1, 3, 4, 5, 10, 18, 28, 20
IFLA_LINK_NETNSID = 37
IFLA_TXQLEN = 13
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_BRPORT_MODE = 4  # a bridge port's hairpin mode (linux/if_link.h), in IFLA_INFO_SLAVE_DATA
# addresses (linux/if_addr.h)
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS = 1, 2, 4, 8
IFA_F_NODAD = 0x02
# routes (linux/rtnetlink.h)
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 5, 6, 7, 15
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_NOWHERE = 0, 253, 255
RTN_UNICAST = 1
RTN_NAMES = {2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable",
             8: "prohibit", 9: "throw", 10: "nat"}
RTNH_F_ONLINK = 4
RTPROT_KERNEL = 2
RTPROT_RA = 9
RTPROT_TOPO = 151
"""Routes topo adds carry this protocol number, so the node's other routes are never touched."""
AF_INET, AF_INET6 = 2, 10

_HDR = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_IFADDR = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")
_RTA = struct.Struct("=HH")
_NDMSG = struct.Struct("=BxxxiHBB")
_U32 = struct.Struct("=I")
_MAX_BATCH_BYTES = 48 * 1024


class NetlinkError(OSError):
    """The kernel refused a request: errno and the kernel's extended message, if any."""


def _align(n: int) -> int:
    return (n + 3) & ~3


def _attrs(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(type, value start, value end) of each attribute in data[start:end]."""
    while start + 4 <= end:
        alen, atype = _RTA.unpack_from(data, start)
        if alen < 4:
            return
        yield atype & 0x3FFF, start + 4, start + alen
        start += _align(alen)


def _cstr(data: bytes, a: int, b: int) -> str:
    return data[a:b].split(b"\0", 1)[0].decode(errors="replace")


@dataclass(frozen=True)
class RawLink:
    index: int
    name: str
    kind: str
    alias: str | None
    mtu: int
    mac: str
    up: bool
    master: int
    link: int  # peer ifindex for veths (in the peer's namespace)
    link_netnsid: int | None
    info_data: bytes = b""  # IFLA_INFO_DATA: the kind's own attributes (its folder's reader decodes them)
    txqlen: int = 0
    slave_kind: str = ""  # IFLA_INFO_SLAVE_KIND: "bridge" for a bridge port
    slave_data: bytes = b""  # IFLA_INFO_SLAVE_DATA: the port's attributes (IFLA_BRPORT_*)


@dataclass(frozen=True)
class RawFdb:
    """A bridge forwarding entry (AF_BRIDGE neighbour), e.g. a VXLAN device's remote."""

    index: int
    mac: str
    dst: str | None


@dataclass(frozen=True)
class RawAddr:
    index: int
    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface
    broadcast: ipaddress.IPv4Address | None = None  # IFA_BROADCAST


@dataclass(frozen=True)
class RawRoute:
    family: int
    dst: str | None
    dst_len: int
    gateway: str | None
    oif: int
    priority: int
    prefsrc: str | None
    table: int
    proto: int
    type: int
    flags: int


def _ip(family: int, raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6 if family == socket.AF_INET6 else socket.AF_INET, raw)


def parse_link(data: bytes, off: int, length: int) -> RawLink:
    _family, _type, index, flags, _change = _IFINFO.unpack_from(data, off + 16)
    name, kind, alias, mac = "", "", None, ""
    mtu = master = link = txqlen = 0
    info = slave = b""
    slave_kind = ""
    netnsid: int | None = None
    for t, a, b in _attrs(data, off + 32, off + length):
        if t == IFLA_IFNAME:
            name = _cstr(data, a, b)
        elif t == IFLA_MTU:
            mtu = _U32.unpack_from(data, a)[0]
        elif t == IFLA_ADDRESS:
            mac = ":".join(f"{x:02x}" for x in data[a:b])
        elif t == IFLA_MASTER:
            master = _U32.unpack_from(data, a)[0]
        elif t == IFLA_LINK:
            link = _U32.unpack_from(data, a)[0]
        elif t == IFLA_IFALIAS:
            alias = _cstr(data, a, b) or None
        elif t == IFLA_LINK_NETNSID:
            netnsid = struct.unpack_from("=i", data, a)[0]
        elif t == IFLA_TXQLEN:
            txqlen = _U32.unpack_from(data, a)[0]
        elif t == IFLA_LINKINFO:
            for t2, a2, b2 in _attrs(data, a, b):
                if t2 == IFLA_INFO_KIND:
                    kind = _cstr(data, a2, b2)
                elif t2 == IFLA_INFO_DATA:
                    info = bytes(data[a2:b2])
                elif t2 == IFLA_INFO_SLAVE_KIND:
                    slave_kind = _cstr(data, a2, b2)
                elif t2 == IFLA_INFO_SLAVE_DATA:
                    slave = bytes(data[a2:b2])
    return RawLink(index, name, kind, alias, mtu, mac, bool(flags & IFF_UP), master, link, netnsid, info, txqlen,
                   slave_kind, slave)


def attributes(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each attribute in `data` (a kind's IFLA_INFO_DATA, say)."""
    for t, a, b in _attrs(data, 0, len(data)):
        yield t, data[a:b]


def u32(value: bytes) -> int:
    return _U32.unpack_from(value)[0]


def ip_text(value: bytes) -> str:
    """An address attribute as text (4 bytes: IPv4, 16: IPv6)."""
    return _ip(socket.AF_INET6 if len(value) == 16 else socket.AF_INET, value)


def parse_fdb(data: bytes, off: int, length: int) -> RawFdb:
    _family, index, _state, _flags, _type = _NDMSG.unpack_from(data, off + 16)
    mac, dst = "", None
    for t, a, b in _attrs(data, off + 28, off + length):
        if t == NDA_LLADDR:
            mac = ":".join(f"{x:02x}" for x in data[a:b])
        elif t == NDA_DST:
            dst = _ip(socket.AF_INET6 if b - a == 16 else socket.AF_INET, data[a:b])
    return RawFdb(index, mac, dst)


def parse_addr(data: bytes, off: int, length: int) -> RawAddr:
    family, prefixlen, _flags, _scope, index = _IFADDR.unpack_from(data, off + 16)
    local = address = broadcast = None
    for t, a, b in _attrs(data, off + 24, off + length):
        if t == IFA_LOCAL:
            local = data[a:b]
        elif t == IFA_ADDRESS:
            address = data[a:b]
        elif t == IFA_BROADCAST and b - a == 4:
            broadcast = ipaddress.IPv4Address(bytes(data[a:b]))
    raw = local if local is not None else address
    value = int.from_bytes(raw or b"", "big")  # built from the bytes: no text to parse
    iface = ipaddress.IPv6Interface((value, prefixlen)) if family == socket.AF_INET6 else ipaddress.IPv4Interface((value, prefixlen))
    return RawAddr(index, iface, broadcast)


def parse_route(data: bytes, off: int, length: int) -> RawRoute:
    family, dst_len, _src_len, _tos, table, proto, _scope, rtype, flags = _RTMSG.unpack_from(data, off + 16)
    dst = gateway = prefsrc = None
    oif = priority = 0
    for t, a, b in _attrs(data, off + 28, off + length):
        if t == RTA_DST:
            dst = _ip(family, data[a:b])
        elif t == RTA_OIF:
            oif = _U32.unpack_from(data, a)[0]
        elif t == RTA_GATEWAY:
            gateway = _ip(family, data[a:b])
        elif t == RTA_PRIORITY:
            priority = _U32.unpack_from(data, a)[0]
        elif t == RTA_PREFSRC:
            prefsrc = _ip(family, data[a:b])
        elif t == RTA_TABLE:
            table = _U32.unpack_from(data, a)[0]
    return RawRoute(family, dst, dst_len, gateway, oif, priority, prefsrc, table, proto, rtype, flags)


def is_gone(err: OSError | None) -> bool:
    return err is not None and err.errno in (errno.ENODEV, errno.ENOENT, errno.ESRCH, errno.EADDRNOTAVAIL)


@dataclass(frozen=True)
class Msg:
    """One request: its type, flags and body (everything after the netlink header)."""

    type: int
    flags: int
    body: bytes

    @classmethod
    def from_pyroute2(cls, msg: "nlmsg", msg_type: int, flags: int) -> "Msg":
        """Encode a pyroute2 message (used for nested ones, like a veth with its peer)."""
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = flags
        msg.encode()
        return cls(msg_type, flags, bytes(msg.data[16:]))


def rta(kind: int, payload: bytes) -> bytes:
    """One rtnetlink attribute, padded to 4 bytes."""
    length = 4 + len(payload)
    return _RTA.pack(length, kind) + payload + b"\0" * (_align(length) - length)


def rta_u32(kind: int, value: int) -> bytes:
    return rta(kind, _U32.pack(value))


def rta_str(kind: int, value: str) -> bytes:
    return rta(kind, value.encode() + b"\0")


def ifinfo(index: int = 0, flags: int = 0, change: int = 0) -> bytes:
    return _IFINFO.pack(0, 0, index, flags, change)


def ifaddr(family: int, prefixlen: int, index: int) -> bytes:
    return _IFADDR.pack(family, prefixlen, 0, 0, index)


def ndmsg(family: int, index: int, state: int, flags: int) -> bytes:
    return _NDMSG.pack(family, index, state, flags, 0)


def rtmsg_body(family: int, dst_len: int, table: int, proto: int, scope: int, rtype: int, flags: int) -> bytes:
    return _RTMSG.pack(family, dst_len, 0, 0, table, proto, scope, rtype, flags)
