"""Rules as the kernel lists them (RTM_GETRULE dumps, both families), decoded with struct
like the other dumps (rtnl.py): facts only."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Any

from ...rtnl import AF_INET, AF_INET6, NLM_F_DUMP, NLM_F_REQUEST, attributes, u32
from .model import Rule

RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE = 32, 33, 34
FRA_DST, FRA_SRC, FRA_IIFNAME, FRA_PRIORITY, FRA_FWMARK, FRA_TABLE, FRA_FWMASK, FRA_OIFNAME = 1, 2, 3, 6, 10, 15, 16, 17
FRA_SUPPRESS_PREFIXLEN, FRA_PAD, FRA_PROTOCOL = 14, 18, 21
FR_ACT_TO_TBL = 1
FIB_RULE_HDR = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, res1, res2, action, flags
MODELED = {FRA_DST, FRA_SRC, FRA_IIFNAME, FRA_PRIORITY, FRA_FWMARK, FRA_TABLE, FRA_FWMASK, FRA_OIFNAME, FRA_PAD, FRA_PROTOCOL}


@dataclass(frozen=True)
class LiveRule:
    rule: Rule  # its selectors and table, as a file would write them
    proto: int  # FRA_PROTOCOL: topo's rules carry RTPROT_TOPO
    plain: bool = True  # a lookup with only the selectors topo models (no tos, invert, goto, ports ...)


def _text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode(errors="replace")


def parse_rule(data: bytes, off: int, length: int) -> LiveRule:
    """One RTM_NEWRULE message at `off` in `data`."""
    family, dst_len, src_len, tos, table, _r1, _r2, action, flags = FIB_RULE_HDR.unpack_from(data, off + 16)
    start = off + 16 + FIB_RULE_HDR.size
    values: dict[int, bytes] = dict(attributes(bytes(data[start:off + length])))
    if FRA_TABLE in values:
        table = u32(values[FRA_TABLE])

    def net(kind: int, bits: int) -> Any:
        return _network(family, values[kind], bits) if kind in values else None

    rule = Rule(6 if family == AF_INET6 else 4, u32(values[FRA_PRIORITY]) if FRA_PRIORITY in values else 0, table,
                net(FRA_SRC, src_len), net(FRA_DST, dst_len),
                _text(values[FRA_IIFNAME]) if FRA_IIFNAME in values else None,
                _text(values[FRA_OIFNAME]) if FRA_OIFNAME in values else None,
                u32(values[FRA_FWMARK]) if FRA_FWMARK in values else None,
                u32(values[FRA_FWMASK]) if FRA_FWMASK in values else None)
    # the kernel lists FRA_SUPPRESS_PREFIXLEN with every rule: -1 is "not set"
    suppress = values.get(FRA_SUPPRESS_PREFIXLEN, b"\xff\xff\xff\xff") != b"\xff\xff\xff\xff"
    plain = action == FR_ACT_TO_TBL and not tos and not flags and not suppress and set(values) <= MODELED | {FRA_SUPPRESS_PREFIXLEN}
    return LiveRule(rule, values[FRA_PROTOCOL][0] if FRA_PROTOCOL in values else 0, plain)


def _network(family: int, raw: bytes, bits: int) -> Any:
    value = int.from_bytes(raw, "big")
    return ipaddress.IPv6Network((value, bits)) if family == AF_INET6 else ipaddress.IPv4Network((value, bits))


def read(sock: Any) -> list[LiveRule]:
    """Every rule of the socket's namespace, IPv4 and IPv6 (not the multicast routing families')."""
    body = FIB_RULE_HDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0)
    return [parse_rule(d, o, n) for d, o, n in sock.exchange(RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, body)
            if d[o + 16] in (AF_INET, AF_INET6)]
