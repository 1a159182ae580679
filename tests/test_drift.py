"""Drift: a change made behind topo's back is named by `topo plan` (exit 2), repaired by
`topo apply`, and the plan is clean again (exit 0). One case per kind of drift."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conftest import example
from sandbox import Sandbox

pytestmark = pytest.mark.kernel


@dataclass(frozen=True)
class DriftCase:
    name: str
    lab: str  # example prefix
    commands: tuple[str, ...]  # run inside the sandbox to cause the drift
    expect: tuple[str, ...]  # fragments the plan output must contain


CASES = [
    DriftCase("deleted-veth", "05", ("ip link del veth3b27737c",), ("veth pod-a:eth0 <-> (root):veth3b27737c",)),
    DriftCase("changed-address", "05", ("ip -n pod-a addr del 10.42.0.106/24 dev eth0", "ip -n pod-a addr add 10.42.0.107/24 dev eth0"),
              ("- pod-a: address 10.42.0.107/24 on eth0", "+ pod-a: address 10.42.0.106/24 on eth0")),
    DriftCase("extra-address", "05", ("ip -n pod-b addr add 10.42.0.200/24 dev eth0",), ("- pod-b: address 10.42.0.200/24 on eth0",)),
    DriftCase("missing-route", "05", ("ip -n pod-c route del default",), ("+ pod-c: route default via 10.42.0.1",)),
    DriftCase("extra-route", "05", ("ip -n pod-a route add 10.99.0.0/16 via 10.42.0.1",), ("- pod-a: route 10.99.0.0/16 via 10.42.0.1",)),
    DriftCase("changed-route", "05", ("ip -n pod-a route replace default via 10.42.0.182",),
              ("~ pod-a: route default: default via 10.42.0.182 dev eth0 -> default via 10.42.0.1",)),
    DriftCase("missing-node-route", "04", ("ip route del 10.244.3.3/32",), ("+ (root): route 10.244.3.3/32 dev veth-b",)),
    DriftCase("link-down", "05", ("ip -n pod-b link set eth0 down",), ("~ pod-b: link eth0: down -> up",)),
    DriftCase("bridge-down", "05", ("ip link set cni0 down",), ("~ (root): link cni0: down -> up",)),
    DriftCase("changed-mtu", "05", ("ip -n pod-a link set eth0 mtu 1400",), ("~ pod-a: link eth0: mtu 1400 -> mtu 1450",)),
    DriftCase("unenslaved-port", "05", ("ip link set veth4e3b601a nomaster",), ("~ (root): link veth4e3b601a: master (none) -> master cni0",)),
    DriftCase("edited-netns-hosts", "06", ("sh -c 'echo 10.9.9.9 evil >> /etc/netns/pod-httpd/hosts'",),
              ("~ pod-httpd: hosts file /etc/netns/pod-httpd/hosts: edited",)),
    DriftCase("edited-node-hosts-block", "06", ("sh -c 't=$(sed s/^172.30.0.7/172.30.0.99/ /etc/hosts); printf \"%s\\n\" \"$t\" > /etc/hosts'",),
              ("~ (root): /etc/hosts block of lab node-to-pod: edited",)),
    DriftCase("deleted-namespace", "05", ("ip netns del pod-b",), ("+ pod-b: namespace pod-b", "+ pod-b: address 10.42.0.182/24 on eth0")),
    DriftCase("extra-interface", "05", ("ip -n pod-a link add extra0 type veth peer name extra1",),
              ("- pod-a: link extra0 (veth)", "- pod-a: link extra1 (veth)")),
    DriftCase("changed-sysctl", "04", ("sysctl -qw net.ipv4.ip_forward=0",), ("~ (root): sysctl net.ipv4.ip_forward: 0 -> 1",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_drift_is_reported_and_repaired(sandbox: Sandbox, case: DriftCase) -> None:
    path = example(case.lab)
    sandbox.topo("apply", path)
    for cmd in case.commands:
        sandbox.run(cmd)
    plan = sandbox.topo("plan", path, check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    for fragment in case.expect:
        assert fragment in plan.stdout, f"{fragment!r} not in plan:\n{plan.stdout}"
    applied = sandbox.topo("apply", path)
    assert "verified" in applied.stdout
    clean = sandbox.topo("plan", path, check=False)
    assert clean.returncode == 0, clean.stdout
