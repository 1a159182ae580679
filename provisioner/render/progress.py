"""Progress of apply and destroy: a bar on a terminal, plain lines otherwise (logs, CI).

The bar goes to stderr only when stderr is a terminal; elsewhere one line per phase is
printed ("create-namespace: 1000 done"), and nothing at all with --quiet or --json.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..core.plan import Action, Op, Plan


@dataclass
class ProgressReporter:
    enabled: bool = True
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    _bar: Any = None
    _task: Any = None
    _op: Op | None = None
    _count: int = 0
    _done: int = 0
    _total: int = 0
    _started: float = 0.0

    def start(self, plan: Plan) -> None:
        """Count `plan`'s actions from 0 (a rollback's plan is counted on its own: finish the
        run's bar, then start this one again)."""
        self._total, self._done, self._op, self._count = len(plan.actions), 0, None, 0
        self._started = time.monotonic()
        if not self.enabled or self._total == 0:
            return
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("applying", total=self._total)

    def advance(self, action: Action) -> None:
        self._done += 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=action.op.value)
            return
        if action.op is not self._op:
            self._flush(self._done - 1)
            self._op, self._count = action.op, 0
        self._count += 1

    def _flush(self, done: int) -> None:
        if self._op is not None and self._count:
            print(f"  {self._op.value}: {self._count} done ({done}/{self._total}, "
                  f"{time.monotonic() - self._started:.1f}s)", file=self.stream, flush=True)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif self.enabled:
            self._flush(self._done)
            self._op = None
