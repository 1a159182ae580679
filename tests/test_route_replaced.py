"""A root route topo made, replaced behind its back (`ip route replace`: same key, another
protocol and gateway), is the lab's still: plan shows it as drift (exit 2, not a conflict),
apply sets it again with topo's protocol, destroy removes it (issue 15, point 11)."""

from __future__ import annotations

import pytest

from conftest import example
from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = example("04")


def route(box: Sandbox) -> list[dict]:
    return box.ip_json("route", "show", "10.244.3.3/32")


def test_replaced_root_route_is_drift_and_repaired(sandbox: Sandbox) -> None:
    before = sandbox.snapshot()
    sandbox.topo("apply", LAB)
    [made] = route(sandbox)
    assert made["protocol"] in ("151", 151), made
    sandbox.run("ip route replace 10.244.3.3/32 dev veth-b proto static")
    plan = sandbox.topo("plan", LAB, check=False)
    assert plan.returncode == 2 and "~ (root): route 10.244.3.3/32" in plan.stdout, plan.stdout
    applied = sandbox.topo("apply", LAB)
    assert "verified" in applied.stdout
    [again] = route(sandbox)
    assert again["protocol"] in ("151", 151), again
    assert sandbox.topo("plan", LAB, check=False).returncode == 0
    sandbox.topo("destroy", LAB)
    assert route(sandbox) == [] and sandbox.snapshot() == before
