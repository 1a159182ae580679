"""Two labs on one machine set the same root sysctl: the machine's own value is kept until the
last of them goes, and destroying one never changes a knob the other still sets, in either
order (issue 15, point 8). Real kernel, sandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = """\
name: {name}
sysctls: {{net.ipv4.ip_forward: 1, net.ipv4.conf.all.rp_filter: 2}}
namespaces:
  {name}-pod: {{}}
"""


def forward(box: Sandbox) -> tuple[str, str]:
    return (box.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip(),
            box.run(["cat", "/proc/sys/net/ipv4/conf/all/rp_filter"]).stdout.strip())


@pytest.mark.parametrize("first_gone", ["one", "two"])
def test_the_machines_value_comes_back_when_the_last_lab_goes(sandbox: Sandbox, tmp_path: Path, first_gone: str) -> None:
    files = {}
    for name in ("one", "two"):
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(LAB.format(name=name))
    sandbox.run("sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0")
    before = forward(sandbox)
    sandbox.topo("apply", str(files["one"]))
    sandbox.topo("apply", str(files["two"]))
    assert forward(sandbox) == ("1", "2")
    last = "two" if first_gone == "one" else "one"
    sandbox.topo("destroy", str(files[first_gone]))
    assert forward(sandbox) == ("1", "2"), "the other lab still sets them"
    plan = sandbox.topo("plan", str(files[last]), check=False)
    assert plan.returncode == 0, plan.stdout
    sandbox.topo("destroy", str(files[last]))
    assert forward(sandbox) == before
