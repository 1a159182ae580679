"""Ownership: topo touches only what it created. Foreign objects with similar names survive
destroy; objects the file names but topo did not create are conflicts unless --adopt; a
refused action is named, and applying a fixed file converges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import example
from sandbox import Sandbox

pytestmark = pytest.mark.kernel

FOREIGN = (
    "ip netns add pod-httpd-2",
    "ip netns add cni-pod-a",
    "ip link add br-minikube0 type bridge",
    "ip link add veth-httpd0 type veth peer name veth-nginx0",
    "ip addr add 172.30.0.1/32 dev br-minikube0",
    "ip link set br-minikube0 addrgenmode none",  # no IPv6 link-local appearing later
    "ip link set br-minikube0 up",
    "ip route add 172.31.0.0/24 dev br-minikube0",
    "sh -c 'printf \"172.30.0.6\\tpod-httpd\\n# BEGIN topo lab other\\n10.1.1.1\\tx\\n# END topo lab other\\n\" >> /etc/hosts'",
)


def test_destroy_leaves_foreign_objects_untouched(sandbox: Sandbox) -> None:
    for cmd in FOREIGN:
        sandbox.run(cmd)
    before = sandbox.snapshot()
    sandbox.topo("apply", example("06"))
    hosts = sandbox.run(["cat", "/etc/hosts"]).stdout
    assert hosts.startswith(before["hosts"]), "the user's lines must stay byte for byte, the block comes after them"
    sandbox.topo("destroy", example("06"))
    assert sandbox.snapshot() == before


def test_destroy_by_lab_name_without_file(sandbox: Sandbox, tmp_path: Path) -> None:
    before = sandbox.snapshot()
    lab = tmp_path / "gone.yaml"
    lab.write_text(Path(example("05")).read_text())
    sandbox.topo("apply", str(lab))
    lab.unlink()
    out = sandbox.topo("destroy", "--lab", "flannel")
    assert "Destroy complete" in out.stdout
    assert sandbox.snapshot() == before
    again = sandbox.topo("destroy", "--lab", "flannel")
    assert "Nothing to destroy" in again.stdout


def test_existing_namespace_is_a_conflict_until_adopted(sandbox: Sandbox) -> None:
    sandbox.run("ip netns add pod-b")
    plan = sandbox.topo("plan", example("05"), check=False)
    assert plan.returncode == 1
    assert "namespace pod-b exists and was not created by lab flannel" in plan.stdout
    before = sandbox.snapshot()
    refused = sandbox.topo("apply", example("05"), check=False)
    assert refused.returncode == 1 and "--adopt" in refused.stderr
    assert sandbox.snapshot() == before, "a refused apply changes nothing"
    sandbox.topo("apply", "--adopt", example("05"))
    assert sandbox.topo("plan", example("05"), check=False).returncode == 0


def test_existing_bridge_is_a_conflict_until_adopted(sandbox: Sandbox) -> None:
    sandbox.run("ip link add cni0 type bridge")
    plan = sandbox.topo("plan", "--json", example("05"), check=False)
    assert plan.returncode == 1
    data = json.loads(plan.stdout)
    assert [c["target"] for c in data["nodes"][0]["conflicts"]] == ["link cni0"]
    sandbox.topo("apply", "--adopt", example("05"))
    assert sandbox.ip_json("link", "show", "cni0")[0].get("ifalias") == "topo:flannel"
    sandbox.topo("destroy", example("05"))
    assert sandbox.ip_json("link", "show") and not any(l["ifname"] == "cni0" for l in sandbox.ip_json("link", "show"))


def test_refused_action_is_named_and_fixing_the_file_converges(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "lab.yaml"
    good = Path(example("05")).read_text()
    # the kernel refuses a sysctl that does not exist: the schema and checks cannot know
    lab.write_text(good.replace("  pod-a:\n", "  pod-a:\n    sysctls: {net.ipv4.tcp_syn_retries: 200}\n", 1))
    failed = sandbox.topo("apply", str(lab), check=False)
    assert failed.returncode == 1
    assert "set-sysctl sysctl net.ipv4.tcp_syn_retries in pod-a" in failed.stderr
    lab.write_text(good)
    fixed = sandbox.topo("apply", str(lab))
    assert "verified" in fixed.stdout
    assert sandbox.topo("plan", str(lab), check=False).returncode == 0


def test_editing_the_file_touches_only_what_differs(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "lab.yaml"
    text = Path(example("07")).read_text()
    lab.write_text(text)
    sandbox.topo("apply", str(lab), "--var", "pods=3")
    pod1 = sandbox.ip_json("link", "show", "eth0", netns="pod-1")[0]["ifindex"]
    ino1 = sandbox.run(["stat", "-L", "-c", "%i", "/run/netns/pod-1"]).stdout
    port1 = sandbox.ip_json("link", "show", "veth-pod-1")[0]["ifindex"]
    # one more pod, one pod fewer, and a changed MTU on the bridge
    out = sandbox.topo("apply", str(lab), "--var", "pods=4").stdout
    assert "+ pod-4: namespace pod-4" in out and "pod-1" not in out
    out = sandbox.topo("apply", str(lab), "--var", "pods=2").stdout
    assert "- pod-3: namespace pod-3" in out and "- pod-4: namespace pod-4" in out
    assert sorted(sandbox.run(["ls", "/run/netns"]).stdout.split()) == ["pod-1", "pod-2"]
    lab.write_text(text.replace("mtu: 1450}", "mtu: 1400}", 1))
    out = sandbox.topo("apply", str(lab), "--var", "pods=2").stdout
    assert "~ (root): link cni0: mtu 1450 -> mtu 1400" in out
    assert sandbox.ip_json("link", "show", "eth0", netns="pod-1")[0]["ifindex"] == pod1
    assert sandbox.ip_json("link", "show", "veth-pod-1")[0]["ifindex"] == port1
    assert sandbox.run(["stat", "-L", "-c", "%i", "/run/netns/pod-1"]).stdout == ino1
    assert not any(l["ifname"] == "veth-pod-3" for l in sandbox.ip_json("link", "show"))


def test_read_only_commands_change_nothing(sandbox: Sandbox) -> None:
    before = sandbox.snapshot()
    for args in (["validate", example("05")], ["render", example("07")], ["plan", example("05")],
                 ["show", example("05")], ["plan", "--json", example("06")]):
        sandbox.topo(*args, check=False)
    assert sandbox.snapshot() == before
    assert sandbox.run(["ls", "-A", "/var/lib/topo"]).stdout == ""


def test_every_change_to_an_adopted_bridge_is_a_plan_line(sandbox: Sandbox) -> None:
    """Adopting a user's bridge with an address the file does not give it: the plan names the
    address's removal before apply does it; destroy then deletes the bridge, which is the lab's
    from the adoption on (issue 15, point 5; README, Ownership)."""
    sandbox.run("ip link add cni0 type bridge")
    sandbox.run("ip addr add 192.168.77.1/24 dev cni0")
    sandbox.run("ip link set cni0 up")
    plan = sandbox.topo("plan", "--adopt", example("05"), check=False)
    assert plan.returncode == 2
    assert "- (root): address 192.168.77.1/24 on cni0" in plan.stdout, plan.stdout
    applied = sandbox.topo("apply", "--adopt", example("05"))
    assert "- (root): address 192.168.77.1/24 on cni0" in applied.stdout
    addrs = [a["local"] for a in sandbox.ip_json("-4", "addr", "show", "cni0")[0]["addr_info"]]
    assert addrs == ["10.42.0.1"]
    sandbox.topo("destroy", example("05"))
    assert not any(link["ifname"] == "cni0" for link in sandbox.ip_json("link", "show"))
