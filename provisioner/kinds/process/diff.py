"""Processes: start what should run and does not; stop what runs and should not (or runs an
old command, or in a namespace that was replaced). Stops come first, starts last."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.keys import ProcessKey
from ...core.plan import Change
from ...model import Process
from ...processes import LiveProcess, user_missing
from .ops import START_PROCESS, STOP_PROCESS, ProcessSpec


def changed(proc: Process, cur: LiveProcess) -> bool:
    """The running process was started with another command, environment or user."""
    return (cur.record.command != proc.command or [list(e) for e in proc.env] != cur.record.env
            or cur.record.user != proc.user)


def _restart_change(proc: Process, cur: LiveProcess) -> tuple[str, str]:
    """(before, after) of restarting a process whose recorded pid exited: the recorded
    command beside the file's when they differ."""
    before, after = f"pid {cur.record.pid} exited", "restart"
    if cur.record.command != proc.command:
        before, after = f"{before}, command: {cur.record.command}", f"{after}, command: {proc.command}"
    return before, after


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    scope = ctx.scope(effects)
    want = {(name, p.name): p for name, ns in ctx.node.namespaces.items() if name in scope
            for p in ns.processes.values()}
    for key, cur in sorted(ctx.live.processes.items()):
        proc = want.get(key)
        netns, pname = key
        if proc is not None and not cur.alive:
            continue  # a dead process the file still has: one change, its restart (the start clears what is left)
        stale = (proc is None or not cur.in_place or effects.made(netns) or effects.goes(netns)
                 or changed(proc, cur))
        if stale or not cur.alive:
            out.add(STOP_PROCESS, Change.DELETE if proc is None else Change.UPDATE, netns, f"process {pname}",
                    ProcessSpec(pname), before=f"pid {cur.record.pid}" + ("" if cur.alive else " (dead)"),
                    after=None if proc is None else "restart", key=ProcessKey(netns, pname))
    for key, proc in sorted(want.items()):
        cur = ctx.live.processes.get(key)
        running = cur is not None and cur.alive and cur.in_place and not effects.made(key[0])
        is_changed = cur is not None and changed(proc, cur)
        if (missing := user_missing(proc.user)) is not None:
            out.conflict(key[0], f"process {proc.name}", f"process {proc.name}: {missing}",
                         "create the user on the node, or leave out `user:` to run the process as root")
        if cur is not None and not cur.alive:
            before, after = _restart_change(proc, cur)
            out.add(START_PROCESS, Change.UPDATE, key[0], f"process {proc.name}", ProcessSpec(proc.name, proc),
                    before=before, after=after, key=ProcessKey(*key))
        elif not running or is_changed:
            before = None if cur is None else ("old command" if is_changed else "elsewhere")
            out.add(START_PROCESS, Change.CREATE if cur is None else Change.UPDATE, key[0], f"process {proc.name}",
                    ProcessSpec(proc.name, proc), before=before, after=proc.command, key=ProcessKey(*key))
    return out
