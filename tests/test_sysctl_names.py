"""A sysctl the node does not have is found by `plan`, read-only, before anything changes:
a misspelt name in the root namespace or in a namespace the plan creates, and a key of an
interface the plan creates is accepted when its family has the key (issue 15, point 4).
Real kernel, sandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = """\
name: sysl
sysctls: {{net.ipv4.{root}: 1}}
namespaces:
  pod-a:
    interfaces: {{eth0: {{addresses: [10.9.0.2/24]}}}}
    sysctls: {{net.ipv4.conf.eth0.forwarding: 1, net.ipv6.conf.eth0.{pod}: 0}}
bridges:
  br9: {{addresses: [10.9.0.1/24]}}
links:
  - {{a: pod-a:eth0, b: br9:v9}}
"""


def test_misspelt_sysctls_are_conflicts_of_plan_and_apply_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(root="ip_froward", pod="acept_ra"))
    before = sandbox.snapshot()
    plan = sandbox.topo("plan", str(path), check=False)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    for key in ("net.ipv4.ip_froward", "net.ipv6.conf.eth0.acept_ra"):
        assert f"sysctl {key} does not exist" in plan.stdout, plan.stdout
        assert f"+ (root): sysctl {key}" not in plan.stdout and f"+ pod-a: sysctl {key}" not in plan.stdout
    assert "net.ipv4.conf.eth0.forwarding does not exist" not in plan.stdout  # eth0 is made by the plan
    applied = sandbox.topo("apply", str(path), check=False)
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert sandbox.snapshot() == before


def test_spelt_right_they_apply(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(root="ip_forward", pod="accept_ra"))
    sandbox.topo("apply", str(path))
    value = sandbox.run(["ip", "netns", "exec", "pod-a", "cat", "/proc/sys/net/ipv4/conf/eth0/forwarding"]).stdout.strip()
    assert value == "1"
    assert sandbox.topo("plan", str(path), check=False).returncode == 0
    sandbox.topo("destroy", str(path))
