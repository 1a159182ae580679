"""Qdisc options as the kernel takes and reports them (linux/pkt_sched.h): netem's and tbf's
TCA_OPTIONS, in the kernel's units (64 ns ticks, fractions of 2**32 - 1, bytes per second),
encoded as pyroute2 and tc encode them, and decoded from a qdisc dump."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...rtnl import attributes, rta
from .model import Chance, Impairment

TICK_NS = 64
"""A scheduler tick (PSCHED_SHIFT 6: /proc/net/psched reports 1000/64 ticks a microsecond)."""
TICKS_PER_US = 1000 / TICK_NS
NETEM_LIMIT = 1000  # packets: netem's default queue
TCA_NETEM_CORR, TCA_NETEM_REORDER, TCA_NETEM_CORRUPT, TCA_NETEM_RATE = 1, 3, 4, 6
TCA_TBF_PARMS, TCA_TBF_RTAB = 1, 2
TBF_LATENCY_US = 50_000  # how long a tbf queue may hold packets, when `limit` gives no length
TBF_MIN_BURST = 16 * 1024  # bytes: more than a GSO segment's MTU-sized pieces need at once
TBF_PACKET = 1514  # bytes a packet of `limit` counts in a tbf queue (whose limit is in bytes)
_QOPT = struct.Struct("=IIIIII")  # tc_netem_qopt: latency, limit, loss, gap, duplicate, jitter
_RATESPEC = struct.Struct("=BBHhHI")  # tc_ratespec: cell_log, linklayer, overhead, cell_align, mpu, rate
_RTAB_MTU = 1600  # the packet size tc's rate table covers when no mtu is given


def fraction(percent: float) -> int:
    """A percentage as the kernel's u32 probability (pyroute2's and tc's percent2u32)."""
    return int((2**32 - 1) * percent / 100)


def percent(value: int) -> float:
    return round(value * 100 / (2**32 - 1), 4)


def ticks(us: int) -> int:
    return int(int(us) * TICKS_PER_US)


def xmittime(rate: int, size: int) -> int:
    """tc's calc_xmittime: the ticks `size` bytes take at `rate` bytes per second."""
    return int(int(1_000_000 * (float(size) / rate)) * TICKS_PER_US)


@dataclass(frozen=True)
class Netem:
    """netem's options: tc_netem_qopt and the attributes topo sets."""

    latency: int = 0  # ticks
    limit: int = NETEM_LIMIT
    loss: int = 0
    gap: int = 0
    duplicate: int = 0
    jitter: int = 0  # ticks
    loss_corr: int = 0
    dup_corr: int = 0
    reorder: int = 0
    reorder_corr: int = 0
    corrupt: int = 0
    corrupt_corr: int = 0
    rate: int = 0  # bytes per second

    @classmethod
    def of(cls, imp: Impairment) -> "Netem":
        def chance(c: Chance | None) -> tuple[int, int]:
            return (fraction(c.percent), fraction(c.correlation)) if c is not None else (0, 0)

        loss, dup, reorder, corrupt = (chance(c) for c in (imp.loss, imp.duplicate, imp.reorder, imp.corrupt))
        return cls(ticks(imp.delay), imp.limit or NETEM_LIMIT, loss[0], 1 if reorder[0] else 0, dup[0], ticks(imp.jitter),
                   loss[1], dup[1], reorder[0], reorder[1], corrupt[0], corrupt[1], (imp.rate or 0) // 8)

    def encode(self) -> bytes:
        out = _QOPT.pack(self.latency, self.limit, self.loss, self.gap, self.duplicate, self.jitter)
        if self.loss_corr or self.dup_corr:
            out += rta(TCA_NETEM_CORR, struct.pack("=III", 0, self.loss_corr, self.dup_corr))
        if self.reorder:
            out += rta(TCA_NETEM_REORDER, struct.pack("=II", self.reorder, self.reorder_corr))
        if self.corrupt:
            out += rta(TCA_NETEM_CORRUPT, struct.pack("=II", self.corrupt, self.corrupt_corr))
        if self.rate:
            out += rta(TCA_NETEM_RATE, struct.pack("=IiIi", self.rate, 0, 0, 0))
        return out

    @classmethod
    def decode(cls, data: bytes) -> "Netem":
        """From a dump's TCA_OPTIONS (the kernel adds attributes topo does not set: ignored)."""
        latency, limit, loss, gap, dup, jitter = _QOPT.unpack_from(data)
        extra: dict[str, int] = {}
        for t, value in attributes(data[_QOPT.size:]):
            if t == TCA_NETEM_CORR and len(value) >= 12:
                _, extra["loss_corr"], extra["dup_corr"] = struct.unpack_from("=III", value)
            elif t == TCA_NETEM_REORDER and len(value) >= 8 and gap:
                extra["reorder"], extra["reorder_corr"] = struct.unpack_from("=II", value)
            elif t == TCA_NETEM_CORRUPT and len(value) >= 8:
                extra["corrupt"], extra["corrupt_corr"] = struct.unpack_from("=II", value)
            elif t == TCA_NETEM_RATE and len(value) >= 4:
                extra["rate"] = struct.unpack_from("=I", value)[0]
        if not extra.get("reorder"):
            extra["reorder_corr"] = 0
        return cls(latency, limit, loss, gap, dup, jitter, **extra)

    def impairment(self) -> Impairment:
        """In the file's units (for plans and capture)."""
        def chance(p: int, c: int) -> Chance | None:
            return Chance(percent(p), percent(c)) if p else None

        return Impairment(self.rate * 8 or None, _us(self.latency), _us(self.jitter), chance(self.loss, self.loss_corr),
                          chance(self.duplicate, self.dup_corr), chance(self.reorder, self.reorder_corr),
                          chance(self.corrupt, self.corrupt_corr), self.limit if self.limit != NETEM_LIMIT else None)


def _us(t: int) -> int:
    return round(t * TICK_NS / 1000)


@dataclass(frozen=True)
class Tbf:
    """tbf's options: a token bucket of `buffer` ticks at `rate` bytes per second, a queue of
    `limit` bytes."""

    rate: int
    limit: int
    buffer: int

    @classmethod
    def of(cls, imp: Impairment) -> "Tbf":
        rate = (imp.rate or 0) // 8
        burst = max(rate // 100, TBF_MIN_BURST)
        limit = imp.limit * TBF_PACKET if imp.limit else rate * TBF_LATENCY_US // 1_000_000 + burst
        return cls(rate, limit, xmittime(rate, burst))

    def encode(self) -> bytes:
        cell_log = 0
        while (_RTAB_MTU >> cell_log) > 255:
            cell_log += 1
        parms = _RATESPEC.pack(cell_log, 0, 0, -1, 0, self.rate) + _RATESPEC.pack(0, 0, 0, 0, 0, 0) \
            + struct.pack("=III", self.limit, self.buffer, 0)
        rtab = struct.pack("=256I", *(xmittime(self.rate, (i + 1) << cell_log) for i in range(256)))
        return rta(TCA_TBF_PARMS, parms) + rta(TCA_TBF_RTAB, rtab)

    @classmethod
    def decode(cls, data: bytes) -> "Tbf | None":
        for t, value in attributes(data):
            if t == TCA_TBF_PARMS and len(value) >= 2 * _RATESPEC.size + 12:
                rate = _RATESPEC.unpack_from(value)[5]
                limit, buffer, _mtu = struct.unpack_from("=III", value, 2 * _RATESPEC.size)
                return cls(rate, limit, buffer)
        return None

    def impairment(self) -> Impairment:
        """The rate, and `limit` in packets when the queue is not the one a rate alone gives."""
        default = Tbf.of(Impairment(rate=self.rate * 8)).limit
        packets = self.limit // TBF_PACKET if self.limit != default and self.limit % TBF_PACKET == 0 else None
        return Impairment(rate=self.rate * 8, limit=packets)
