"""`topo save` of an interface's addresses: all but those the kernel adds by itself."""

from __future__ import annotations

from typing import Iterable

from ...model import IPAddress, IPInterface
from .diff import automatic


def capture_addresses(ifname: str, addresses: Iterable[IPInterface]) -> tuple[IPInterface, ...]:
    """The addresses to write, in the order given (the kernel's), each once; without the
    IPv6 link-local ones and lo's 127.0.0.1/8 and ::1/128."""
    return tuple(dict.fromkeys(a for a in addresses if not automatic(ifname, a)))


def capture_broadcasts(addresses: Iterable[IPInterface], live: dict[IPInterface, IPAddress]) -> dict[IPInterface, IPAddress]:
    """The broadcast address of each captured address that has one (IFA_BROADCAST)."""
    return {a: live[a] for a in addresses if a in live}
