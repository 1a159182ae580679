"""Tun/tap devices on a real kernel, in the sandbox: the lab (tests/fixtures/tap-lab.yaml: a
tap owned by `nobody` with several queues as a port of the lab bridge, a tun device in a pod)
applied and checked with `ip -d -j link`; a user-space program (tests/tap_peer.py, opening
/dev/net/tun itself) on each device answers the pod's ping; drift repaired; capture; destroy."""

from __future__ import annotations

import select
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = REPO / "tests" / "fixtures" / "tap-lab.yaml"
PEER = str(REPO / "tests" / "tap_peer.py")
ALIAS = "topo:tap-lab"


def link(sandbox: Sandbox, netns: str | None, name: str) -> dict[str, Any]:
    [out] = sandbox.ip_json("-d", "addr", "show", "dev", name, netns=netns)
    return out  # type: ignore[no-any-return]


def tun_data(sandbox: Sandbox, netns: str | None, name: str) -> dict[str, Any]:
    dev = link(sandbox, netns, name)
    assert dev["linkinfo"]["info_kind"] == "tun", dev
    return dev["linkinfo"]["info_data"]  # type: ignore[no-any-return]


def assert_clean(sandbox: Sandbox, path: Path | str) -> None:
    plan = sandbox.topo("plan", str(path), check=False)
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout + plan.stderr


def peer(sandbox: Sandbox, netns: str | None, *args: str) -> subprocess.Popen[str]:
    """The program on a device, once it is attached."""
    cmd = ["ip", "netns", "exec", netns] if netns else []
    proc = sandbox.popen([*cmd, "python3", PEER, *args])
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    assert ready and proc.stdout.readline().strip() == "attached", proc.stderr.read() if proc.stderr else ""
    return proc


def ping(sandbox: Sandbox, netns: str, address: str, count: int = 1) -> bool:
    cmd = ["ip", "netns", "exec", netns, "ping", "-c", str(count), "-W2", address]
    return sandbox.run(cmd, check=False).returncode == 0


def test_taps_applied_as_ip_sees_them(sandbox: Sandbox) -> None:
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    vm = link(sandbox, None, "tap-vm")
    assert (vm["master"], vm["ifalias"]) == ("br-vm", ALIAS), vm
    data = tun_data(sandbox, None, "tap-vm")
    assert (data["type"], data["user"], data["multi_queue"], data["persist"]) == ("tap", "nobody", True, True), data
    tun = link(sandbox, "pod-a", "tun0")
    assert tun["mtu"] == 1400 and [a["local"] for a in tun["addr_info"] if a["family"] == "inet"] == ["10.88.0.1"], tun
    data = tun_data(sandbox, "pod-a", "tun0")
    assert (data["type"], data.get("user"), data["multi_queue"], data["persist"]) == ("tun", None, False, True), data
    assert_clean(sandbox, LAB)


def test_a_program_on_the_bridge_port_tap_answers_the_pod(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    assert not ping(sandbox, "pod-a", "10.77.0.9"), "nobody answers before the program attaches"
    sandbox.run("ip -n pod-a neigh flush all")  # the failed lookup: forgotten, so the pod asks again at once
    proc = peer(sandbox, None, "tap-vm", "tap", "10.77.0.9", "--multi-queue", "--count", "2")
    assert ping(sandbox, "pod-a", "10.77.0.9", count=2), "the pod's ping, answered through the bridge and the tap"
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.split() == ["arp", "echo", "echo"], out + err
    [neigh] = sandbox.ip_json("neigh", "show", "10.77.0.9", netns="pod-a")
    assert neigh["lladdr"] == "02:00:00:aa:00:01", neigh  # the program's MAC, learnt by the pod over ARP
    assert_clean(sandbox, LAB)  # a program attached changes nothing topo declares


def test_a_program_on_the_pods_tun_device_answers_the_pod(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    proc = peer(sandbox, "pod-a", "tun0", "tun", "10.88.0.2")
    assert ping(sandbox, "pod-a", "10.88.0.2"), "an IP packet out of the tun device, answered by the program"
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.split() == ["echo"], out + err


def test_tap_drift_named_and_repaired_in_one_apply(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    sandbox.run("ip link del tap-vm")
    sandbox.run("ip -n pod-a tuntap del dev tun0 mode tun")
    sandbox.run("ip -n pod-a tuntap add dev tun0 mode tun user root")  # its owner changed
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    for fragment in ("+ (root): tap tap-vm (tap-vm master br-vm, tap, owner nobody, multi-queue)",
                     "- pod-a: link tun0 (tun device, changed mode, owner or queues)",
                     "+ pod-a: tap tun0 (tun0 mtu 1400, tun)", "+ pod-a: address 10.88.0.1/24 on tun0"):
        assert fragment in plan.stdout, f"{fragment!r} not in plan:\n{plan.stdout}"
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    assert tun_data(sandbox, None, "tap-vm")["user"] == "nobody" and link(sandbox, None, "tap-vm")["master"] == "br-vm"
    assert "user" not in tun_data(sandbox, "pod-a", "tun0")
    assert_clean(sandbox, LAB)


def test_taps_captured_and_planned_again(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(LAB))
    captured = tmp_path / "captured.yaml"
    sandbox.topo("save", "--name", "tap-lab", "-o", str(captured))
    taps = yaml.safe_load(captured.read_text())["taps"]
    assert sorted((t["at"], t.get("mode", "tap"), t.get("owner"), t.get("multi_queue", False), t.get("mtu")) for t in taps) == [
        ("br-vm:tap-vm", "tap", "nobody", True, None), ("pod-a:tun0", "tun", None, False, 1400)], taps
    assert_clean(sandbox, captured)


def test_tap_destroy_leaves_the_machine_as_before(sandbox: Sandbox) -> None:
    sandbox.run("ip tuntap add dev theirs mode tap")  # not the lab's: it stays
    before = sandbox.snapshot()
    sandbox.topo("apply", str(LAB))
    assert "Destroy complete" in sandbox.topo("destroy", str(LAB)).stdout
    assert sandbox.snapshot() == before
    assert tun_data(sandbox, None, "theirs")["type"] == "tap"


def test_a_tap_owner_that_does_not_exist_is_refused_before_any_change(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "owner.yaml"
    lab.write_text(LAB.read_text().replace("owner: nobody", "owner: no-such-user-here"))
    before = sandbox.snapshot()
    applied = sandbox.topo("apply", str(lab), check=False)
    assert applied.returncode == 1 and "taps[0].owner: user 'no-such-user-here' does not exist" in applied.stderr, applied.stderr
    assert sandbox.snapshot() == before
