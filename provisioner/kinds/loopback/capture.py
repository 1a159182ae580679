"""`topo save` of a namespace's loopback: written only where it differs from topo's
default (up, no address but the kernel's own)."""

from __future__ import annotations

from ...capture_core import interface
from ...live import LiveLink
from ...model import Interface, Kind

DEFAULT_MTU = 65536


def capture_loopback(link: LiveLink) -> Interface:
    """A namespace's `lo` (its MAC is always all zeros: never written)."""
    return interface(link, Kind.LOOPBACK, DEFAULT_MTU, mac=False)
