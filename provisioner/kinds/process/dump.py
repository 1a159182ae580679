"""Processes in a topology file: a namespace's `processes:`; one without env, user or description
is its command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Netns, Process

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def namespace(ctx: DumpContext, ns: Netns) -> Data:
    """The file's processes (a kind's server, one with a `config` topo writes, comes from its
    kind's part of the file)."""
    declared = {name: process(p) for name, p in ns.processes.items() if p.config is None}
    return {"processes": declared} if declared else {}


def process(proc: Process) -> str | Data:
    if not proc.env and proc.description is None and proc.user is None:
        return proc.command
    out: Data = {"command": proc.command}
    if proc.env:
        out["env"] = dict(proc.env)
    if proc.user is not None:
        out["user"] = proc.user
    if proc.description is not None:
        out["description"] = proc.description
    return out
