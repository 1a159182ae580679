"""Sysctls: written through /proc/sys inside their namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...names import sysctl_path


@dataclass(frozen=True)
class SysctlSpec:
    key: str
    value: str


def _set(ex: Any, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, SysctlSpec)
    with ex.pool.inside(a.netns):
        with open(sysctl_path(spec.key), "w") as fh:
            fh.write(spec.value)


SET_SYSCTL = Op("set-sysctl", Stage.CONFIGURE, run=_set)
