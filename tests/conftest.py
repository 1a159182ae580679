"""Shared fixtures. Kernel tests get a private sandbox each (tests/sandbox.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from sandbox import REPO, Sandbox

EXAMPLES = sorted((REPO / "topologies").glob("*.yaml"))
LOCAL_EXAMPLES = [p for p in EXAMPLES if "multi-node" not in p.name]  # the others need several machines (Ansible)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox").start()
    try:
        yield box
    finally:
        box.close()


def example(prefix: str) -> str:
    """Path (relative to the repo) of the example whose file name starts with `prefix`."""
    for path in EXAMPLES:
        if path.name.startswith(prefix):
            return str(path.relative_to(REPO))
    raise LookupError(prefix)
