"""Build a namespace's loopback interface `lo`: every namespace has one (its settings, e.g.
`lo: {up: true}`, come from the namespace's `interfaces:`, like any interface's)."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import Interface, Kind, Netns
from ..buildctx import BuildContext


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    if ns.place.netns is not None:  # a node's root namespace has its own lo, not the lab's
        ns.interfaces["lo"] = Interface("lo", Kind.LOOPBACK, path=path)
