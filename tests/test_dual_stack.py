"""Dual-stack pods on a real kernel, in the sandbox (topologies/14-dual-stack.yaml): IPv4 and
IPv6 on each pod's eth0, usable at once (nodad: never "tentative"), both default routes,
hosts entries for both; reached over IPv6 by ping -6 and TCP to [addr]:port, checked with
ip, ping, getent and a Python client; `topo check` passes; capture round-trips the lab's network."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = REPO / "topologies" / "14-dual-stack.yaml"
CLIENT = ("import socket; s = socket.create_connection(('fd00:70::3', 8080), timeout=5); "
          "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(12).decode())")


def in_pod(sandbox: Sandbox, pod: str, *cmd: str, check: bool = True) -> str:
    return sandbox.run(["ip", "netns", "exec", pod, *cmd], check=check).stdout


def test_dual_stack_pods_applied_and_reached_over_ipv6(sandbox: Sandbox) -> None:
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    [eth0] = sandbox.ip_json("addr", "show", "dev", "eth0", netns="pod-a")
    got = {(a["family"], a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a.get("scope") == "global"}
    assert got == {("inet", "10.70.0.2", 24), ("inet6", "fd00:70::2", 64)}, eth0
    v6 = next(a for a in eth0["addr_info"] if a["local"] == "fd00:70::2")
    assert not v6.get("tentative") and not v6.get("dadfailed"), v6  # usable at once: added with nodad
    [route] = sandbox.ip_json("-6", "route", "show", "default", netns="pod-a")
    assert (route["gateway"], route["dev"]) == ("fd00:70::1", "eth0"), route
    assert {"10.70.0.3", "fd00:70::3"} <= set(in_pod(sandbox, "pod-a", "getent", "ahosts", "pod-b").split())
    assert "1 received" in in_pod(sandbox, "pod-a", "ping", "-6", "-c1", "-W2", "pod-b")
    assert in_pod(sandbox, "pod-a", "python3", "-c", CLIENT).startswith("HTTP/1.0 200"), "TCP to [fd00:70::3]:8080"
    assert "1 received" in sandbox.run(["ping", "-6", "-c1", "-W2", "fd00:70::2"]).stdout, "the node over the bridge's IPv6"
    checked = sandbox.topo("check", str(LAB), check=False)
    assert checked.returncode == 0 and "5 passed" in checked.stdout, checked.stdout + checked.stderr
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout


def test_a_lost_ipv6_route_and_address_are_drift_and_repaired(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    sandbox.run("ip -n pod-b -6 route del default")
    sandbox.run("ip -n pod-b addr del fd00:70::3/64 dev eth0")
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2 and "+ pod-b: address fd00:70::3/64 on eth0" in plan.stdout, plan.stdout
    assert "::/0" in plan.stdout or "default" in plan.stdout, plan.stdout
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    assert "1 received" in in_pod(sandbox, "pod-a", "ping", "-6", "-c1", "-W2", "fd00:70::3")


def test_dual_stack_lab_captured_and_planned_again(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(LAB))
    captured = tmp_path / "captured.yaml"
    sandbox.topo("save", "--name", "dual-stack", "-o", str(captured))
    data = yaml.safe_load(captured.read_text())
    pod = data["namespaces"]["pod-b"]
    text = yaml.safe_dump(pod)
    for want in ("10.70.0.3/24", "fd00:70::3/64", "fd00:70::1", "10.70.0.1"):
        assert want in text, f"{want} not captured:\n{text}"
    plan = sandbox.topo("plan", str(captured), check=False)
    # capture writes the network, not the lab's processes: the web server is the only difference
    lines = [line for line in plan.stdout.splitlines() if line.startswith(("+", "-", "~"))]
    assert lines == ["- pod-b: process web"], plan.stdout + plan.stderr
