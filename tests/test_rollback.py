"""`topo apply --rollback`: when the kernel refuses an action halfway, the lab goes back to
its last verified state (or away, when the failed run created it), as nmstate's checkpoints do.

The kernel refusal is real: a value the kernel refuses (`net.ipv4.tcp_syn_retries: 200`, over
its maximum of 127; a key that does not exist is a conflict of the plan now) makes the write in
/proc/sys fail with EINVAL after namespaces, links and settings are made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

GOOD = """\
name: rb
bridges:
  br0: {addresses: [10.9.0.1/24]}
namespaces:
  a:
    interfaces: {eth0: {addresses: [10.9.0.2/24], mtu: 1400}}
    routes: [{to: default, via: 10.9.0.1}]
    hosts: {a: 10.9.0.2}
hosts: {pod-a: 10.9.0.2}
links:
  - {a: a:eth0, b: br0:veth-a}
"""

# changes some of GOOD's objects, adds others, and a step the kernel refuses (after links
# and addresses are planned, before routes and files)
BAD = """\
name: rb
bridges:
  br0: {addresses: [10.9.0.1/24, 10.9.1.1/24]}
namespaces:
  a:
    interfaces: {eth0: {addresses: [10.9.0.3/24], mtu: 1300}}
    routes: [{to: default, via: 10.9.0.1}, {to: 10.77.0.0/16, via: 10.9.0.1}]
    hosts: {a: 10.9.0.3}
  b:
    interfaces: {eth0: {addresses: [10.9.0.4/24]}}
    sysctls: {net.ipv4.tcp_syn_retries: 200}
hosts: {pod-a: 10.9.0.3, pod-b: 10.9.0.4}
links:
  - {a: a:eth0, b: br0:veth-a}
  - {a: b:eth0, b: br0:veth-b}
"""


def _files(tmp_path: Path) -> tuple[str, str]:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return str(good), str(bad)


def _stable(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what the kernel changes by itself in the seconds after a link comes
    up (IPv6 duplicate address detection flags, carrier and operstate transitions)."""
    links = sorted((l["ifname"], l["ifindex"], l["mtu"], l.get("address"), l.get("master"), "UP" in l["flags"])
                   for l in snap["links"])
    addrs = sorted((a["ifname"], i["family"], i["local"], i["prefixlen"]) for a in snap["addrs"] for i in a["addr_info"])
    routes6 = [r for r in snap["routes6"] if not str(r.get("dst", "")).startswith(("fe80", "ff00"))]
    return {**snap, "links": links, "addrs": addrs, "routes6": routes6}


def _ifindexes(sandbox: Sandbox) -> dict[str, int]:
    root = {f"(root):{l['ifname']}": l["ifindex"] for l in sandbox.ip_json("link", "show")}
    ns = {f"a:{l['ifname']}": l["ifindex"] for l in sandbox.ip_json("link", "show", netns="a")}
    return {**root, **ns}


def test_failed_first_apply_rolls_back_to_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    _, bad = _files(tmp_path)
    before = sandbox.snapshot()
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "set-sysctl sysctl net.ipv4.tcp_syn_retries in b" in res.stderr
    assert "rolled back" in res.stderr and "Traceback" not in res.stderr
    assert sandbox.snapshot() == before, "a lab the failed apply created must be gone completely"
    assert sandbox.run(["ls", "-A", "/var/lib/topo/labs"]).stdout.strip() == ""


def test_failed_change_rolls_back_to_last_verified_state(sandbox: Sandbox, tmp_path: Path) -> None:
    good, bad = _files(tmp_path)
    sandbox.topo("apply", good)
    before = sandbox.snapshot()
    indexes = _ifindexes(sandbox)
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1
    assert "rolled back" in res.stderr
    assert sandbox.topo("plan", good, check=False).returncode == 0, "the lab is back at the verified state"
    assert _stable(sandbox.snapshot()) == _stable(before)
    assert _ifindexes(sandbox) == indexes, "objects that existed are changed back, not recreated"
    assert sandbox.run(["cat", "/etc/netns/a/hosts"]).stdout.endswith("10.9.0.2\ta\n")
    sandbox.topo("destroy", good)


def test_without_rollback_the_failure_is_named_and_a_fixed_file_converges(sandbox: Sandbox, tmp_path: Path) -> None:
    good, bad = _files(tmp_path)
    empty = sandbox.snapshot()
    res = sandbox.topo("apply", bad, check=False)
    assert res.returncode == 1
    assert "net.ipv4.tcp_syn_retries" in res.stderr and "rolled back" not in res.stderr
    assert sandbox.topo("plan", bad, check=False).returncode == 2, "the half-made lab is left for the user to see"
    # --rollback goes back to the last verified state; this lab never had one: refused
    refused = sandbox.topo("apply", good, "--rollback", check=False)
    assert refused.returncode == 1 and "no checkpoint" in refused.stderr
    sandbox.topo("apply", good)
    assert sandbox.topo("plan", good, check=False).returncode == 0
    sandbox.topo("destroy", good)
    assert sandbox.snapshot() == empty


def test_rollback_refuses_to_start_without_a_checkpoint(sandbox: Sandbox, tmp_path: Path) -> None:
    good, bad = _files(tmp_path)
    sandbox.topo("apply", good)
    sandbox.run(["rm", "/var/lib/topo/labs/rb.applied.yaml"])
    before = sandbox.snapshot()
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1
    assert "no checkpoint" in res.stderr and "nothing was changed" in res.stderr
    assert _stable(sandbox.snapshot()) == _stable(before)
