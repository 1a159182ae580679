"""One topo run at a time per node: an exclusive flock on /run/topo/lock (RUN_DIR/lock, see roots.py).

The lock is released by the kernel when the process ends, however it ends, so a killed run
never leaves a stale lock behind. The lock file is opened without following a link
(O_NOFOLLOW, relative to /run/topo opened the same way) and must be a regular file of topo's
user with no other hard link before topo truncates and writes it: a link or another file
planted there is refused with a clear error and left as it is.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .names import escape
from .safefs import open_regular, opened_dir


class LockBusy(Exception):
    pass


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it into the file (read through our own fd)."""
    try:
        return escape(os.pread(fd, 256, 0).decode(errors="replace").strip()) or "another topo run"
    except OSError:
        return "another topo run"


def _open_lock_file(run_dir: Path) -> int:
    run_dir.mkdir(parents=True, exist_ok=True)
    with opened_dir(run_dir) as dir_fd:
        return open_regular(dir_fd, "lock", run_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def node_lock(run_dir: Path, wait: bool = True, notify: Callable[[str], None] | None = None,
              poll: float = 0.1) -> Iterator[None]:
    """Hold the node's lock (RUN_DIR/lock) for the block. With wait=False, raise LockBusy at once when taken."""
    fd = _open_lock_file(run_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
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
