"""A macvlan interface's own settings: its parent link and its mode."""

from __future__ import annotations

from dataclasses import dataclass

KIND = "macvlan"
MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8}
"""The modes a file may give (IFLA_MACVLAN_MODE values, linux/if_link.h)."""
DEFAULT_MODE = "bridge"


@dataclass(frozen=True)
class Macvlan:
    """`parent`: a link in the node's root namespace (the lab's bridge or veth end, or the
    node's own), whose traffic the macvlan shares with its own MAC."""

    parent: str
    mode: str = DEFAULT_MODE
