"""Macvlans on a real kernel, in the sandbox: the example lab (tests/fixtures/macvlan-lab.yaml:
a lab bridge with a router's veth port, two pods and the node on macvlans of it) applied and
checked with `ip` and `ping`; drift repaired; a mode changed in the file; capture; destroy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = REPO / "tests" / "fixtures" / "macvlan-lab.yaml"
ALIAS = "topo:macvlan-lab"
MACVLANS = {  # netns -> name, mode, mtu, address
    "pod-a": ("eth0", "bridge", 1400, "10.50.0.11"),
    "pod-b": ("eth0", "bridge", 1500, "10.50.0.12"),
    None: ("mv-host", "vepa", 1450, None),
}


def link(sandbox: Sandbox, netns: str | None, name: str) -> dict[str, Any]:
    [out] = sandbox.ip_json("-d", "addr", "show", "dev", name, netns=netns)
    return out  # type: ignore[no-any-return]


def mode(sandbox: Sandbox, netns: str | None, name: str) -> str:
    return str(link(sandbox, netns, name)["linkinfo"]["info_data"]["mode"])


def pings(sandbox: Sandbox, netns: str, address: str) -> bool:
    return sandbox.run(["ip", "netns", "exec", netns, "ping", "-c1", "-W1", address], check=False).returncode == 0


def assert_clean(sandbox: Sandbox, path: Path | str) -> None:
    plan = sandbox.topo("plan", str(path), check=False)
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout + plan.stderr


def test_macvlan_lab_applied_as_ip_sees_it(sandbox: Sandbox) -> None:
    applied = sandbox.topo("apply", str(LAB))
    assert "verified" in applied.stdout
    bridge = link(sandbox, None, "br-mv")
    for netns, (name, want_mode, mtu, address) in MACVLANS.items():
        dev = link(sandbox, netns, name)
        assert dev["linkinfo"]["info_kind"] == "macvlan" and dev["linkinfo"]["info_data"]["mode"] == want_mode, dev
        assert (dev["ifalias"], dev["mtu"], dev["operstate"]) == (ALIAS, mtu, "UP"), dev
        assert ("link_netnsid" in dev) == (netns is not None), dev  # the moved ones: parent in another namespace
        if netns is None:
            assert dev["link"] == "br-mv", dev
        else:
            assert dev["link_index"] == bridge["ifindex"], dev
        if address is not None:
            assert [(a["local"], a["prefixlen"]) for a in dev["addr_info"] if a["family"] == "inet"] == [(address, 24)]
    assert link(sandbox, "pod-a", "eth0")["address"] == "02:00:00:00:50:0b"
    assert pings(sandbox, "pod-a", "10.50.0.12"), "pod to pod over the bridge-mode macvlans"
    assert pings(sandbox, "router", "10.50.0.11"), "through the bridge's veth port to a macvlan on it"
    assert_clean(sandbox, LAB)


def test_macvlan_drift_named_and_repaired_in_one_apply(sandbox: Sandbox) -> None:
    sandbox.topo("apply", str(LAB))
    sandbox.run("ip -n pod-b link del eth0")
    sandbox.run("ip link add link br-mv name eth0 netns pod-b type macvlan mode private")
    sandbox.run("ip link del mv-host")
    sandbox.run("ip -n pod-a link set eth0 mtu 1300")
    plan = sandbox.topo("plan", str(LAB), check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    for fragment in ("- pod-b: link eth0 (macvlan, changed parent or mode)", "+ pod-b: macvlan eth0 (eth0 on br-mv mode bridge)",
                     "+ pod-b: address 10.50.0.12/24 on eth0", "+ (root): macvlan mv-host (mv-host mtu 1450 on br-mv mode vepa)",
                     "~ pod-a: link eth0: mtu 1300 -> mtu 1400"):
        assert fragment in plan.stdout, f"{fragment!r} not in plan:\n{plan.stdout}"
    assert "verified" in sandbox.topo("apply", str(LAB)).stdout
    assert (mode(sandbox, "pod-b", "eth0"), mode(sandbox, None, "mv-host")) == ("bridge", "vepa")
    assert link(sandbox, "pod-a", "eth0")["mtu"] == 1400
    assert_clean(sandbox, LAB)
    assert pings(sandbox, "pod-a", "10.50.0.12")


def test_macvlan_mode_changed_in_the_file_remade_in_one_apply(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(LAB))
    assert pings(sandbox, "pod-a", "10.50.0.12")
    private = tmp_path / "private.yaml"
    text = LAB.read_text().replace("mode: bridge, addresses", "mode: private, addresses")
    private.write_text(text.replace("parent: br-mv, addresses: [10.50.0.11/24]", "parent: br-mv, mode: private, addresses: [10.50.0.11/24]"))
    applied = sandbox.topo("apply", str(private))
    assert "verified" in applied.stdout and "- pod-a: link eth0 (macvlan, changed parent or mode)" in applied.stdout
    assert (mode(sandbox, "pod-a", "eth0"), mode(sandbox, "pod-b", "eth0")) == ("private", "private")
    assert_clean(sandbox, private)
    assert not pings(sandbox, "pod-a", "10.50.0.12"), "private macvlans of one parent do not reach each other"
    assert pings(sandbox, "router", "10.50.0.11") and pings(sandbox, "router", "10.50.0.12"), "the parent's port still does"


def test_macvlan_lab_captured_and_planned_again(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.topo("apply", str(LAB))
    captured = tmp_path / "captured.yaml"
    sandbox.topo("save", "--name", "macvlan-lab", "-o", str(captured))
    entries = yaml.safe_load(captured.read_text())["macvlans"]
    assert sorted((m["at"], m["parent"], m.get("mode", "bridge"), m.get("mtu")) for m in entries) == [
        ("host:mv-host", "br-mv", "vepa", 1450), ("pod-a:eth0", "br-mv", "bridge", 1400), ("pod-b:eth0", "br-mv", "bridge", None)]
    assert_clean(sandbox, captured)


def test_macvlan_destroy_leaves_the_machine_as_before(sandbox: Sandbox) -> None:
    sandbox.run("ip link add br-other type bridge")  # not the lab's: its macvlan stays
    sandbox.run("ip link add link br-other name theirs type macvlan mode bridge")
    before = sandbox.snapshot()
    sandbox.topo("apply", str(LAB))
    destroyed = sandbox.topo("destroy", str(LAB))
    assert "Destroy complete" in destroyed.stdout
    assert sandbox.snapshot() == before
    assert mode(sandbox, None, "theirs") == "bridge"


VETH_PARENT = """name: mv-veth
namespaces:
  router:
    interfaces: {eth0: {}}
links:
  - {a: "router:eth0", b: "host:veth-rt"}
macvlans:
  - {at: "host:mv-rt", parent: veth-rt}
"""


def test_macvlan_on_a_veth_end_the_plan_remakes(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "veth.yaml"
    lab.write_text(VETH_PARENT)
    sandbox.topo("apply", str(lab))
    sandbox.run("ip netns add elsewhere")
    sandbox.run("ip -n router link set eth0 netns elsewhere")  # the pair is broken: remade by the next apply
    applied = sandbox.topo("apply", str(lab), check=False)
    assert applied.returncode == 0 and "verified" in applied.stdout, applied.stdout + applied.stderr
