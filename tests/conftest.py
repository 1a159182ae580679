"""Shared fixtures. Kernel tests get a private sandbox each (tests/sandbox.py).

scripts/test.sh runs the suite on several pytest-xdist workers, one test file at a time per
worker (`--dist loadfile`: a file's tests keep their order and their module fixtures), the
slowest files first (`SLOWEST_FIRST`) so that no worker starts a long one near the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from sandbox import REPO, Sandbox

EXAMPLES = sorted((REPO / "topologies").glob("*.yaml"))
LOCAL_EXAMPLES = [p for p in EXAMPLES if "multi-node" not in p.name]  # the others need several machines (Ansible)

# The test files that take longest (`pytest --durations`), slowest first: collected before all
# others, so that scripts/test.sh's workers start them at once. A file not named keeps its place.
SLOWEST_FIRST = (
    "tests/test_hostile.py",  # 150 tests on one sandbox
    "tests/test_golden_plans.py",
    "tests/test_tutorial.py",  # 14 lessons, ~2.5 min
    "tests/test_multinode.py",
    "tests/test_capture.py",
    "tests/test_data_safety.py",
    "tests/test_interrupt.py",
    "tests/test_corpus.py",
    "tests/test_drift.py",
    "tests/test_impairments.py",
    "tests/test_services.py",
    "tests/test_apply_examples.py",
    "tests/test_property_kernel.py",
    "tests/test_two_labs_property.py",
    "tests/test_fuzz_loader.py",
)
LAST = ("tests/test_collection.py",)  # its sanity tests wait for what setup makes in the background


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(REPO).as_posix() if item.path.is_relative_to(REPO) else ""
        if path in LAST:
            return len(SLOWEST_FIRST) + 1
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the other files, the order stays


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
