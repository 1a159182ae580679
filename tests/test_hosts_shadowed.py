"""A root hosts entry the user's /etc/hosts already answers differently would never resolve as
declared (the C library takes the first line with the name): plan reports it, apply changes
nothing; a name nobody else has resolves from the lab's block (issue 15, point 12). Real
kernel, sandboxed; checked with getent."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = """\
name: shadow
hosts: {{{entries}}}
namespaces:
  shadow-pod: {{}}
"""


def getent(box: Sandbox, name: str) -> str:
    return box.run(["getent", "hosts", name], check=False).stdout.split(" ")[0].strip()


def test_a_name_the_users_lines_answer_otherwise_is_a_conflict(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(entries="users-own-host: 10.50.0.99, lab-only-host: 10.50.0.98"))
    etc_hosts = sandbox.run(["cat", "/etc/hosts"]).stdout
    plan = sandbox.topo("plan", str(path), check=False)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "/etc/hosts already says users-own-host is 192.0.2.99" in plan.stdout, plan.stdout
    assert sandbox.topo("apply", str(path), check=False).returncode == 1
    assert sandbox.run(["cat", "/etc/hosts"]).stdout == etc_hosts
    path.write_text(LAB.format(entries="lab-only-host: 10.50.0.98"))
    sandbox.topo("apply", str(path))
    assert getent(sandbox, "lab-only-host") == "10.50.0.98"
    assert getent(sandbox, "users-own-host") == "192.0.2.99"
    sandbox.topo("destroy", str(path))
    assert sandbox.run(["cat", "/etc/hosts"]).stdout == etc_hosts
