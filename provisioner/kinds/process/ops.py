"""Processes: started and stopped by topo's supervisor (provisioner/processes.py)."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...model import Process


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    process: Process | None = None  # for starts


def _start(ex: Any, a: Action) -> None:
    """Start it, and count the start only once it is still running a moment later (a command
    that fails at once, an address in use, is a failed apply with its log's last lines). A
    record left by a process that exited is cleared first (what its session still runs stops)."""
    from ...processes import exited_at_once, start, stop

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and spec.process is not None and a.netns is not None
    stop(ex.pool.roots, ex.lab, a.netns, spec.name)  # nothing to do without a record
    rec = start(ex.pool.roots, ex.lab, a.netns, spec.process)
    if (why := exited_at_once(ex.pool.roots, ex.lab, a.netns, spec.name, rec.pid)) is not None:
        raise OSError(errno.ECHILD, why)


def _stop(ex: Any, a: Action) -> None:
    from ...processes import stop

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and a.netns is not None
    stop(ex.pool.roots, ex.lab, a.netns, spec.name)


STOP_PROCESS = Op("stop-process", Stage.STOP, run=_stop)
START_PROCESS = Op("start-process", Stage.START, run=_start, parallel=True)  # their settling overlaps
