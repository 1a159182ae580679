"""The values of impairments as tc writes them: rates (`10mbit`), times (`50ms`) and percents
(`1.5%`): parsed into plain units, each problem a message and a hint; and written back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

RATE_UNITS = {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9, "tbit": 10**12,
              "kibit": 2**10, "mibit": 2**20, "gibit": 2**30,
              "bps": 8, "kbps": 8 * 10**3, "mbps": 8 * 10**6, "gbps": 8 * 10**9}
"""tc's rate units (bits per second; `bps` is bytes per second)."""
TIME_UNITS = {"us": 1, "usec": 1, "ms": 10**3, "msec": 10**3, "s": 10**6, "sec": 10**6}
"""tc's time units, in microseconds."""
MAX_RATE = (2**32 - 1) * 8
"""The most a qdisc's 32-bit rate (bytes per second) holds: about 34 gbit."""
MAX_TIME = 274_000_000
"""The longest delay netem's 32-bit field of 64 ns ticks holds (about 274 s), in microseconds."""

_VALUE = re.compile(r"\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)\s*")


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str | None = None


def _split(raw: Any) -> tuple[float, str] | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw), ""
    found = _VALUE.fullmatch(str(raw))
    return (float(found[1]), found[2]) if found else None


def _amount(what: str, raw: Any, units: dict[str, int], example: str, most: int) -> int | Problem:
    parts = _split(raw)
    if parts is None:
        return Problem(f"{what} {raw!r} is not a number with a unit", f"write it as tc does, e.g. {example}")
    number, unit = parts
    if number < 0:
        return Problem(f"{what} {raw} is negative", f"give a positive {what}, e.g. {example}")
    if not unit:
        return Problem(f"{what} {raw} has no unit", f"write it with a unit, e.g. {example} (units: {', '.join(units)})")
    if unit not in units:
        return Problem(f"{what} {raw}: unknown unit {unit!r}", f"units: {', '.join(units)}")
    value = round(number * units[unit])
    if value > most:
        return Problem(f"{what} {raw} is more than the kernel's field holds", f"at most {format_amount(most, units)}")
    return value


def rate(raw: Any) -> int | Problem:
    """Bits per second, from `10mbit`."""
    return _amount("rate", raw, RATE_UNITS, "10mbit", MAX_RATE)


def time(what: str, raw: Any) -> int | Problem:
    """Microseconds, from `50ms`."""
    return _amount(what, raw, TIME_UNITS, "50ms", MAX_TIME)


def percent(what: str, raw: Any) -> float | Problem:
    """A percentage, from `1.5`, `'1.5%'`."""
    parts = _split(raw)
    if parts is None or parts[1] not in ("", "%"):
        return Problem(f"{what} {raw!r} is not a percentage", "write a number of percent, e.g. 1.5 or '1.5%'")
    number = parts[0]
    if number < 0:
        return Problem(f"{what} {raw} is negative", "a percentage from 0 to 100")
    if number > 100:
        return Problem(f"{what} {raw} is over 100%", "a percentage from 0 to 100")
    return number


def format_amount(value: int, units: dict[str, int]) -> str:
    """The largest unit that writes `value` whole (`50000` us: `50ms`)."""
    for unit, size in sorted(((u, s) for u, s in units.items() if u in _SHOWN), key=lambda item: -item[1]):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}{min(units, key=units.__getitem__)}"


_SHOWN = {"bit", "kbit", "mbit", "gbit", "us", "ms", "s"}


def format_rate(bits: int) -> str:
    return format_amount(bits, RATE_UNITS)


def format_time(us: int) -> str:
    return format_amount(us, TIME_UNITS) if us else "0"


def format_percent(value: float) -> str:
    return f"{value:g}%"
