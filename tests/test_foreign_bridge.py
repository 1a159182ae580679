"""A user's bridge (made with `ip`, an address, up, no ports) that labs declare as it is
(unmanaged) and give ports: the kernel takes the bridge's MAC and MTU from the ports, and
when the last one leaves gives it MAC 00:00:00:00:00:00 and MTU 1500 and no carrier. Destroy
sets back the MAC and MTU recorded before the first port joined, and names what it cannot
(the carrier) (issue 15, point 10). Real kernel, sandboxed; checked with `ip -j`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podlabs import pod_on_bridge
from sandbox import Sandbox

pytestmark = pytest.mark.kernel

def lab(name: str, host: int) -> str:
    return pod_on_bridge(name, host, "br-user", "10.77.0", route=False)

CARRIER = ("NO-CARRIER", "LOWER_UP")


def _bridge(sandbox: Sandbox) -> dict[str, Any]:
    """What the machine shows of the bridge: link (MAC, MTU, flags, state), addresses, routes."""
    [link] = sandbox.ip_json("-d", "link", "show", "br-user")
    [addr] = sandbox.ip_json("addr", "show", "br-user")
    return {
        "mac": link["address"], "mtu": link["mtu"], "flags": sorted(link["flags"]), "operstate": link["operstate"],
        "addresses": sorted((a["family"], a["local"], a["prefixlen"]) for a in addr["addr_info"]),
        "routes": [(r["dst"], r.get("prefsrc"), sorted(r.get("flags", []))) for r in sandbox.ip_json("route", "show", "dev", "br-user")],
    }


def _unrestored(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """What differs, by name; a difference of carrier (flags, operstate, linkdown routes) as `carrier`."""
    differs = {k for k in before if before[k] != after[k]}
    if "flags" in differs and {f for f in set(before["flags"]) ^ set(after["flags"]) if f not in CARRIER} == set():
        differs.discard("flags")
        differs.add("carrier")
    if "operstate" in differs and after["operstate"] == "DOWN" and "UP" in after["flags"]:
        differs.discard("operstate")
        differs.add("carrier")
    strip = [[(d, s, [f for f in fl if f != "linkdown"]) for d, s, fl in rs] for rs in (before["routes"], after["routes"])]
    if "routes" in differs and strip[0] == strip[1]:
        differs.discard("routes")
        differs.add("carrier")
    return differs


@pytest.mark.parametrize("labs", [("a",), ("a", "b"), ("b", "a")], ids=["one-lab", "two-labs-a-first", "two-labs-b-first"])
def test_destroy_sets_back_what_the_labs_ports_changed_on_a_users_bridge(sandbox: Sandbox, tmp_path: Path,
                                                                           labs: tuple[str, ...]) -> None:
    sandbox.run("ip link add br-user mtu 9000 type bridge")  # an MTU given at creation: the kernel's to change
    sandbox.run("ip addr add 10.77.0.1/24 dev br-user")
    sandbox.run("ip link set br-user up")
    sandbox.run("ip -6 addr flush dev br-user")  # no link-local address still in DAD while we compare
    before = _bridge(sandbox)
    files = {}
    for name in sorted(labs):
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(lab(name, {"a": 2, "b": 3}[name]))
        applied = sandbox.topo("apply", str(files[name]))
        assert "link br-user" in applied.stdout  # unmanaged: the user's
    during = _bridge(sandbox)
    assert during["mac"] != before["mac"] and during["mtu"] == 1500  # the kernel's doing, from the ports
    record = json.loads(sandbox.run(["cat", "/var/lib/topo/labs/a.json"]).stdout)
    outputs = [sandbox.topo("destroy", str(files[name])).stdout for name in labs]
    if len(labs) == 2:
        assert "br-user" not in outputs[0]  # the other lab's port is left: the kernel keeps the bridge as it makes it
    after = _bridge(sandbox)
    assert after["mac"] == before["mac"] and after["mtu"] == before["mtu"], outputs
    assert after["addresses"] == before["addresses"]
    unrestored = _unrestored(before, after)
    assert unrestored <= {"carrier"}, (unrestored, before, after)
    if unrestored:
        assert "bridge br-user: not restored" in outputs[-1] and "carrier" in outputs[-1], outputs[-1]
    assert "bridge br-user: MAC " + before["mac"] + " and MTU 9000 set back" in outputs[-1], outputs[-1]
    assert record.get("bridges") == {"br-user": {"mac": before["mac"], "mtu": 9000}}  # kept before the first port joined


def test_a_bridge_changed_by_someone_since_is_left_as_they_made_it(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.run("ip link add br-user type bridge")
    sandbox.run("ip addr add 10.77.0.1/24 dev br-user")
    sandbox.run("ip link set br-user up")
    file = tmp_path / "a.yaml"
    file.write_text(lab("a", 2))
    sandbox.topo("apply", str(file))
    sandbox.run("ip link set br-user address 02:00:00:00:77:01")  # the user's choice while the lab runs
    out = sandbox.topo("destroy", str(file)).stdout
    [link] = sandbox.ip_json("link", "show", "br-user")
    assert link["address"] == "02:00:00:00:77:01"
    assert "set back" not in out
