"""`topo capture` of an interface's addresses: all but those the kernel adds by itself."""

from __future__ import annotations

from typing import Iterable

from ...model import IPInterface
from .diff import automatic


def capture_addresses(ifname: str, addresses: Iterable[IPInterface]) -> tuple[IPInterface, ...]:
    """The addresses to write, in the order given (the kernel's), each once; without the
    IPv6 link-local ones and lo's 127.0.0.1/8 and ::1/128."""
    return tuple(dict.fromkeys(a for a in addresses if not automatic(ifname, a)))
