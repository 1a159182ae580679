"""Every example lab: apply, verify, plan is empty with ifindexes and namespaces unchanged,
re-apply says no changes, destroy restores the machine exactly (ip -j dumps, /run/netns,
/etc/netns, /etc/hosts)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import LOCAL_EXAMPLES
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel


def identities(box: Sandbox) -> dict[str, Any]:
    """ifindex of every link in the root namespace and in every namespace, and namespace inodes."""
    out: dict[str, Any] = {"(root)": {l["ifname"]: l["ifindex"] for l in box.ip_json("link", "show")}}
    for ns in box.run(["ls", "/run/netns"]).stdout.split():
        out[ns] = {l["ifname"]: l["ifindex"] for l in box.ip_json("link", "show", netns=ns)}
        out[ns]["inode"] = box.run(["stat", "-L", "-c", "%i", f"/run/netns/{ns}"]).stdout.strip()
    return out


@pytest.mark.parametrize("path", [str(p.relative_to(REPO)) for p in LOCAL_EXAMPLES], ids=lambda p: p.split("/")[-1])
def test_example_lifecycle(sandbox: Sandbox, path: str) -> None:
    before = sandbox.snapshot()
    first = sandbox.topo("apply", path)
    assert "Apply complete" in first.stdout and "verified" in first.stdout
    ids = identities(sandbox)

    plan = sandbox.topo("plan", path, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout

    again = sandbox.topo("apply", path)
    assert "No changes" in again.stdout
    assert identities(sandbox) == ids

    sandbox.topo("destroy", path)
    assert sandbox.snapshot() == before
