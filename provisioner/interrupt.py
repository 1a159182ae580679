"""SIGINT / SIGTERM during apply or destroy: finish the current step, then stop cleanly.

The executor asks `requested()` between steps (a phase, or one namespace's batch), so the
kernel and the ownership record never disagree about a half-done step.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Iterator


class Interrupted(Exception):
    def __init__(self, signame: str, done: int):
        super().__init__(f"stopped by {signame} after {done} actions")
        self.signame = signame
        self.done = done


@dataclass
class StopFlag:
    signame: str | None = None
    _previous: dict[int, object] = field(default_factory=dict)

    def requested(self) -> bool:
        return self.signame is not None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.signame is not None:  # a second signal: the user insists
            raise KeyboardInterrupt
        self.signame = signal.Signals(signum).name


@contextmanager
def stop_at_boundaries() -> Iterator[StopFlag]:
    """Install handlers that only set a flag; restore the previous ones afterwards."""
    flag = StopFlag()
    for sig in (signal.SIGINT, signal.SIGTERM):
        flag._previous[sig] = signal.signal(sig, flag._handler)
    try:
        yield flag
    finally:
        for sig, handler in flag._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
