"""resolv.conf files: written and removed in /etc/netns/NS as hosts files are (atomically,
never through a link; the directory goes only when topo made it and it is empty)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...hostsfile import remove_netns_dir, write_netns_file
from .read import RESOLV


@dataclass(frozen=True)
class ResolvSpec:
    text: str | None  # None: remove


def _write(ex: Any, a: Action) -> None:
    assert isinstance(a.payload, ResolvSpec) and a.netns is not None
    if a.payload.text is None:
        remove_netns_dir(ex.pool.roots.etc_netns, a.netns, RESOLV)
    else:
        write_netns_file(ex.pool.roots.etc_netns, a.netns, RESOLV, a.payload.text)


WRITE_RESOLV = Op("write-resolv", Stage.FILES, run=_write)
REMOVE_RESOLV = Op("remove-resolv", Stage.FILES, run=_write)
