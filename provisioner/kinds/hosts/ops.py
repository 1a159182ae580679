"""Hosts files: a namespace's /etc/netns/NS/hosts, and the lab's block of /etc/hosts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...hostsfile import remove_netns_dir, set_managed_block, write_netns_hosts


@dataclass(frozen=True)
class HostsSpec:
    text: str | None  # None: remove


def _write(ex: Any, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, HostsSpec)
    if a.netns is None:
        set_managed_block(ex.pool.roots.etc_hosts, ex.lab, spec.text)
    elif spec.text is not None:
        write_netns_hosts(ex.pool.roots.etc_netns, a.netns, spec.text)
    else:
        remove_netns_dir(ex.pool.roots.etc_netns, a.netns)


WRITE_HOSTS = Op("write-hosts", Stage.FILES, run=_write)
REMOVE_HOSTS = Op("remove-hosts", Stage.FILES, run=_write)
