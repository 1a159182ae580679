"""The rtnetlink transport: one raw NETLINK_ROUTE socket per namespace, pipelined requests
(many per send, acknowledgements read back together) and dumps parsed by rtnl's decoders.
pyroute2's transport costs an asyncio round trip per request; this one does not."""

from __future__ import annotations

import os
import socket
import struct
from typing import Iterator, Sequence

from .rtnl import (
    _HDR,
    _IFADDR,
    _IFINFO,
    _MAX_BATCH_BYTES,
    _NDMSG,
    _RTMSG,
    AF_BRIDGE,
    IFLA_EXT_MASK,
    NETLINK_EXT_ACK,
    NETLINK_GET_STRICT_CHK,
    NETLINK_ROUTE,
    NETNSA_FD,
    NETNSA_NSID,
    NLM_F_ACK,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLMSGERR_ATTR_MSG,
    RT_TABLE_UNSPEC,
    RTEXT_FILTER_SKIP_STATS,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETNSID,
    RTM_GETROUTE,
    RTM_NEWNSID,
    SOL_NETLINK,
    Msg,
    NetlinkError,
    RawAddr,
    RawFdb,
    RawLink,
    RawRoute,
    _align,
    _attrs,
    _cstr,
    parse_addr,
    parse_fdb,
    parse_link,
    parse_route,
    rta_u32,
)


class RtnlSocket:
    """A NETLINK_ROUTE socket (or another netlink family's: `protocol`), bound in the namespace
    that was current when it was made."""

    def __init__(self, protocol: int = NETLINK_ROUTE) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        for option in (NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK):
            try:
                self.sock.setsockopt(SOL_NETLINK, option, 1)
            except OSError:  # older kernels: no extended messages, unfiltered dumps
                pass
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFFFFFFFF or 1
        return self.seq

    def dump(self, msg_type: int, body: bytes) -> Iterator[tuple[bytes, int, int]]:
        return self.exchange(msg_type, NLM_F_REQUEST | NLM_F_DUMP, body)

    def exchange(self, msg_type: int, flags: int, body: bytes) -> Iterator[tuple[bytes, int, int]]:
        """Send one request; yield (data, offset, length) of each reply message to it, until
        NLMSG_DONE or an acknowledgement (an error is raised). A caller that wants a single
        reply stops iterating after it."""
        seq = self._next_seq()
        self.sock.send(_HDR.pack(16 + len(body), msg_type, flags, seq, 0) + body)
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _flags, mseq, _pid = _HDR.unpack_from(data, off)
                if length < 16:
                    return
                if mseq == seq:
                    if mtype == NLMSG_DONE:
                        return
                    if mtype == NLMSG_ERROR:
                        code = -struct.unpack_from("=i", data, off + 16)[0]
                        if code:
                            raise NetlinkError(code, _ext_ack(data, off, length) or os.strerror(code))
                        return
                    yield data, off, length
                off += _align(length)

    def links(self) -> list[RawLink]:
        body = _IFINFO.pack(0, 0, 0, 0, 0) + rta_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
        return [parse_link(d, o, n) for d, o, n in self.dump(RTM_GETLINK, body)]

    def addresses(self) -> list[RawAddr]:
        return [parse_addr(d, o, n) for d, o, n in self.dump(RTM_GETADDR, _IFADDR.pack(0, 0, 0, 0, 0))]

    def routes(self) -> list[RawRoute]:
        """Routes of every table (the reader leaves out the kernel's local table)."""
        body = _RTMSG.pack(0, 0, 0, 0, RT_TABLE_UNSPEC, 0, 0, 0, 0)
        return [parse_route(d, o, n) for d, o, n in self.dump(RTM_GETROUTE, body)]

    def fdb(self) -> list[RawFdb]:
        """Bridge forwarding entries (what `bridge fdb show` lists)."""
        return [parse_fdb(d, o, n) for d, o, n in self.dump(RTM_GETNEIGH, _NDMSG.pack(AF_BRIDGE, 0, 0, 0, 0))]

    def batch(self, msgs: Sequence["Msg"]) -> list[OSError | None]:
        """Send requests pipelined (several per send), then read every acknowledgement.

        Returns one entry per message: None when the kernel accepted it, else the error.
        The kernel handles the messages in order, so a later one may rely on an earlier one.
        """
        results: list[OSError | None] = [None] * len(msgs)
        pos = 0
        while pos < len(msgs):
            chunk: list[bytes] = []
            size = 0
            pending: dict[int, int] = {}
            while pos < len(msgs) and (not chunk or size < _MAX_BATCH_BYTES):
                msg = msgs[pos]
                seq = self._next_seq()
                data = _HDR.pack(16 + len(msg.body), msg.type, msg.flags | NLM_F_REQUEST | NLM_F_ACK, seq, 0) + msg.body
                chunk.append(data)
                size += len(data)
                pending[seq] = pos
                pos += 1
            self.sock.send(b"".join(chunk))
            while pending:
                data = self.sock.recv(1 << 20)
                off = 0
                while off + 16 <= len(data):
                    length, mtype, _flags, mseq, _pid = _HDR.unpack_from(data, off)
                    if length < 16:
                        break
                    if mtype == NLMSG_ERROR and mseq in pending:
                        code = -struct.unpack_from("=i", data, off + 16)[0]
                        index = pending.pop(mseq)
                        if code:
                            results[index] = NetlinkError(code, _ext_ack(data, off, length) or os.strerror(code))
                    off += _align(length)
        return results


def _ext_ack(data: bytes, off: int, length: int) -> str | None:
    """The kernel's extended ack message (NLMSGERR_ATTR_MSG), when it sent one."""
    flags = _HDR.unpack_from(data, off)[2]
    if not flags & 0x200:  # NLM_F_ACK_TLVS
        return None
    inner_len = _HDR.unpack_from(data, off + 20)[0]
    capped = flags & 0x100  # NLM_F_CAPPED: only the header of the request is echoed
    start = off + 20 + (16 if capped else _align(inner_len))
    for t, a, b in _attrs(data, start, off + length):
        if t == NLMSGERR_ATTR_MSG:
            return _cstr(data, a, b)
    return None


def nsid_of(sock: RtnlSocket, fd: int) -> int | None:
    """The id (nsid) that the namespace of `sock` gives the namespace open at `fd` (a file
    descriptor of this process), or None when it gives it none. A veth's IFLA_LINK_NETNSID is
    such an id, relative to the namespace that reported the link. RTM_GETNSID only looks the
    id up: it assigns none and changes nothing."""
    body = struct.pack("=Bxxx", socket.AF_UNSPEC) + rta_u32(NETNSA_FD, fd)  # struct rtgenmsg, padded
    for data, off, length in sock.exchange(RTM_GETNSID, NLM_F_REQUEST, body):
        if _HDR.unpack_from(data, off)[1] == RTM_NEWNSID:
            for t, a, _b in _attrs(data, off + 20, off + length):
                if t == NETNSA_NSID:
                    nsid = struct.unpack_from("=i", data, a)[0]
                    return nsid if nsid >= 0 else None
        return None
    return None
