"""Phase times of one command, printed to stderr when TOPO_PROFILE=1 (bench/apply_bench.py
reads them): load+validate (from the entry point to the first phase), read, plan, execute,
verify (its own read included), and what is left (records, output). Start-up (interpreter and
imports) is the whole command's wall time minus `total`, which the caller measures outside."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator

PHASES = ("load+validate", "read", "plan", "execute", "verify", "other")


@dataclass
class Profile:
    start: float = field(default_factory=time.perf_counter)
    first: float | None = None  # when the first phase began: everything before it is load+validate
    seconds: dict[str, float] = field(default_factory=dict)

    def report(self) -> str:
        total = time.perf_counter() - self.start
        shown = {"load+validate": (self.first or time.perf_counter()) - self.start, **self.seconds}
        shown["other"] = total - sum(shown.values())
        return "topo profile: " + " ".join(f"{k}={shown.get(k, 0.0):.4f}" for k in PHASES) + f" total={total:.4f}"


_CURRENT: ContextVar[Profile | None] = ContextVar("topo_profile", default=None)


def start() -> Profile | None:
    """A profile for this command when TOPO_PROFILE=1 (the one place the variable is read)."""
    if os.environ.get("TOPO_PROFILE") != "1":
        return None
    prof = Profile()
    _CURRENT.set(prof)
    return prof


def finish(prof: Profile | None) -> None:
    if prof is not None:
        print(prof.report(), file=sys.stderr)


@contextmanager
def phase(name: str) -> Iterator[None]:
    prof = _CURRENT.get()
    if prof is None:
        yield
        return
    began = time.perf_counter()
    if prof.first is None:
        prof.first = began
    try:
        yield
    finally:
        prof.seconds[name] = prof.seconds.get(name, 0.0) + time.perf_counter() - began
