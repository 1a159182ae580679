"""A fingerprint of the lab's nftables table, read straight from nf_tables over netlink
(NETLINK_NETFILTER dumps of its chains, rules, sets and set elements): no decoding into
nft's language, so it costs a fraction of `nft -j list table`.

It covers everything the kernel says of the table (every attribute of every chain, rule,
set and element, handles and use counts included) but the messages' headers (the request's
sequence number, the ruleset's generation). Two equal fingerprints are the same table, made
by the same commands; a table someone deleted and made again the same has another (and is
then compared as values once more). The diff compares the table as values (read.py) only
when the fingerprint is not the one it saw when it last found the table equal to the file's
(the record's `verified`)."""

from __future__ import annotations

import hashlib
import struct
from typing import Iterator

from ...rtnl import NLM_F_DUMP, NLM_F_REQUEST, _attrs, _cstr, rta_str
from ...rtnlsock import RtnlSocket

NETLINK_NETFILTER = 12
_NFT = 10 << 8  # NFNL_SUBSYS_NFTABLES
GETTABLE, GETCHAIN, GETRULE, GETSET, GETSETELEM, GETGEN = 1, 4, 7, 10, 13, 16
NFPROTO_INET, NFPROTO_NETDEV = 1, 5
_NFGEN = struct.Struct("=BBH")

# attributes (linux/netfilter/nf_tables.h): each object's table comes first in the kernel's messages
_TABLE_NAME, _CHAIN_TABLE, _RULE_TABLE, _SET_TABLE, _SET_NAME, _SET_FLAGS = 1, 1, 1, 1, 2, 3
_LIST_TABLE, _LIST_SET = 1, 2
_GEN_ID = 1
_TABLE_ATTR = {GETTABLE: _TABLE_NAME, GETCHAIN: _CHAIN_TABLE, GETRULE: _RULE_TABLE, GETSET: _SET_TABLE, GETSETELEM: _LIST_TABLE}
_RTA = struct.Struct("=HH")
_ANONYMOUS_CONSTANT = 0x1 | 0x2  # NFT_SET_ANONYMOUS | NFT_SET_CONSTANT


class NfSocket(RtnlSocket):
    def __init__(self) -> None:
        super().__init__(NETLINK_NETFILTER)

    def raw(self, msg: int, attrs: bytes = b"", family: int = NFPROTO_INET) -> Iterator[tuple[bytes, int, int]]:
        """(data, start of the attributes, end) of each message of an nf_tables dump."""
        body = _NFGEN.pack(family, 0, 0) + attrs
        head = 16 + _NFGEN.size
        for data, off, length in self.exchange(_NFT | msg, NLM_F_REQUEST | NLM_F_DUMP, body):
            yield data, off + head, off + length

    def generation(self) -> int:
        for data, off, length in self.exchange(_NFT | GETGEN, NLM_F_REQUEST, _NFGEN.pack(0, 0, 0)):
            for t, a, b in _attrs(data, off + 16 + _NFGEN.size, off + length):
                if t == _GEN_ID and b - a >= 4:
                    return int.from_bytes(data[a:a + 4], "big")
        return -1


def _walk(sock: NfSocket, msg: int, table: str, out: list[bytes], filter_attrs: bytes = b"",
          parse: bool = False) -> list[dict[int, bytes]]:
    """Append each message of the dump that belongs to `table` to `out`: its length and all its
    attributes (what follows the netlink and nfgen headers, which carry only the request's
    sequence number and the ruleset's generation). `parse`: return each such message's
    attributes by type too."""
    name = table.encode() + b"\0"
    prefix = _RTA.pack(4 + len(name), _TABLE_ATTR[msg]) + name  # the kernel puts the table's name first
    kept: list[dict[int, bytes]] = []
    out.append(b"msg%d" % msg)
    for data, pos, end in sock.raw(msg, filter_attrs):
        if not data.startswith(prefix, pos):
            continue
        out.append((end - pos).to_bytes(4, "little"))
        out.append(data[pos:end])
        if parse:
            kept.append({t: data[a:b] for t, a, b in _attrs(data, pos, end)})
    return kept


def table_exists(family: int, table: str) -> bool:
    """Whether the namespace the calling thread is in has nftables table `table` of `family`
    (one netlink dump of its tables: much cheaper than asking libnftables)."""
    name = _RTA.pack(4 + len(table) + 1, _TABLE_NAME) + table.encode() + b"\0"
    sock = NfSocket()
    try:
        return any(data.startswith(name, pos) for data, pos, _ in sock.raw(GETTABLE, family=family))
    finally:
        sock.close()


def fingerprint(table: str, tries: int = 3, at_generation: int | None = None) -> str | None:
    """The table's fingerprint (hex), or None when it is not there or kept changing while it
    was read (the generation moved: someone committed meanwhile). `at_generation`: only the
    table of that generation of the ruleset (None once another commit came after it)."""
    sock = NfSocket()
    try:
        for _ in range(1 if at_generation is not None else tries):
            gen = sock.generation()
            if at_generation is not None and gen != at_generation:
                return None
            digest = _read(sock, table)
            if sock.generation() == gen:
                return digest
        return None
    finally:
        sock.close()


def generation() -> int:
    """The generation of the calling thread's namespace's ruleset (each commit adds one)."""
    sock = NfSocket()
    try:
        return sock.generation()
    finally:
        sock.close()


def _read(sock: NfSocket, table: str) -> str | None:
    out: list[bytes] = []
    if not _walk(sock, GETTABLE, table, out, parse=True):
        return None
    _walk(sock, GETCHAIN, table, out)
    _walk(sock, GETRULE, table, out, rta_str(_RULE_TABLE, table))
    for s in _walk(sock, GETSET, table, out, parse=True):
        # an anonymous constant set (a rule's own `{ 0 : goto a, 1 : goto b }`) cannot change
        # once its rule holds it (the kernel refuses new and deleted elements: EBUSY); a
        # different one is a different rule, so its rule's bytes say it all
        flags = int.from_bytes(s.get(_SET_FLAGS, b"\0\0\0\0")[:4], "big")
        if flags & _ANONYMOUS_CONSTANT != _ANONYMOUS_CONSTANT:
            raw = s.get(_SET_NAME, b"")
            _walk(sock, GETSETELEM, table, out, rta_str(_LIST_TABLE, table) + rta_str(_LIST_SET, _cstr(raw, 0, len(raw))))
    return hashlib.sha256(b"".join(out)).hexdigest()
