"""Property test on the real kernel (hypothesis): random valid topologies are applied and
verified, re-planned (empty), changed into a random edit and applied (converges), then
destroyed (the machine identical). The examples run in process inside one sandbox
(tests/kernel_property.py); the count is asserted."""

from __future__ import annotations

import json
import os
import sys

import pytest

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

EXAMPLES = int(os.environ.get("TOPO_PROPERTY_EXAMPLES", "200"))


def test_random_topologies_apply_change_and_destroy(sandbox: Sandbox) -> None:
    res = sandbox.run([sys.executable, str(REPO / "tests" / "kernel_property.py"), str(EXAMPLES), "20261125"],
                      check=False, timeout=1200)
    counts = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"\nkernel property run: {counts}")
    assert res.returncode == 0, res.stderr[-6000:]
    assert counts["failed"] == 0
    assert counts["examples"] >= EXAMPLES, counts
    assert counts["applies"] == 2 * counts["examples"]
