"""Processes: started and stopped by topo's supervisor (provisioner/processes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.plan import Action, Op, Stage
from ...model import Process


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    process: Process | None = None  # for starts


def _start(ex: Any, a: Action) -> None:
    from ...processes import start

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and spec.process is not None and a.netns is not None
    start(ex.pool.roots, ex.lab, a.netns, spec.process)


def _stop(ex: Any, a: Action) -> None:
    from ...processes import stop

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and a.netns is not None
    stop(ex.pool.roots, ex.lab, a.netns, spec.name)


STOP_PROCESS = Op("stop-process", Stage.STOP, run=_stop)
START_PROCESS = Op("start-process", Stage.START, run=_start)
