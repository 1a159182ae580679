"""docs/tutorial.md tells what topo does today: `docs/tutorial.py --check` runs every command of
the tutorial again (in one sandbox of its own, scripts/sandbox.sh) and compares the result with
the committed file. A change in topo's output, or an example lab that no longer behaves as the
tutorial says (a step exits with another status), fails here; `python docs/tutorial.py`
regenerates the file, and its diff is the review."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox import REPO

pytestmark = pytest.mark.kernel


def test_tutorial_matches_a_fresh_run() -> None:
    res = subprocess.run([sys.executable, str(REPO / "docs" / "tutorial.py"), "--check"],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert res.returncode == 0, (
        "docs/tutorial.md differs from a fresh run; regenerate it with `python docs/tutorial.py` "
        f"and review the diff\n{res.stdout[-20000:]}\n{res.stderr[-5000:]}")
    assert "is up to date" in res.stdout
