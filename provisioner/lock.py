"""One topo run at a time per node: an exclusive flock on /run/topo/lock.

The lock is released by the kernel when the process ends, however it ends, so a killed run
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

LOCK_DIR = Path(os.environ.get("TOPO_RUN_DIR", "/run/topo"))


class LockBusy(Exception):
    pass


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "another topo run"
    except OSError:
        return "another topo run"


@contextmanager
def node_lock(wait: bool = True, notify: Callable[[str], None] | None = None, poll: float = 0.1) -> Iterator[None]:
    """Hold the node's lock for the block. With wait=False, raise LockBusy at once when taken."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCK_DIR / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            if not wait:
                raise LockBusy(f"{holder} holds the topo lock on this machine") from None
            if notify is not None:
                notify(f"waiting for {holder} to finish (the topo lock on this machine)...")
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"topo pid {os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
