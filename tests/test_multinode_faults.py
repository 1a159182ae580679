"""Faults of a multi-node run on the test bed (real SSH): a node that is unreachable, one whose
sshd dies mid-run, one with a full disk, one where topo is SIGKILLed halfway. Each time the
faulty node is named with its error (in the text and in the JSON plan's failed_nodes, which
validates against the schema), the other node converges (checked with `ip` on it, and by a
plan limited to it), and the next run converges every node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest

from sandbox import REPO, TOPO
from test_multinode import LAB, bed, topo  # noqa: F401  (bed: the module's test bed fixture)
from testbed import Testbed

pytestmark = pytest.mark.kernel

PLAN_SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())


def inv(bed: Testbed) -> str:
    return str(bed.inventory_path())


def pods(bed: Testbed, node: str) -> set[str]:
    return set(bed.ssh(node, "ls -A /run/netns").stdout.split())


def assert_node1_converged(bed: Testbed) -> None:
    assert pods(bed, "node1") == {"pod-1a", "pod-1b"}
    assert topo(bed, "plan", LAB, "-i", inv(bed), "--limit", "node1", "--quiet", check=False).returncode == 0


def assert_next_run_converges_all(bed: Testbed) -> None:
    res = topo(bed, "apply", LAB, "-i", inv(bed), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert pods(bed, "node1") == {"pod-1a", "pod-1b"} and pods(bed, "node2") == {"pod-2a", "pod-2b"}
    assert topo(bed, "plan", LAB, "-i", inv(bed), check=False).returncode == 0
    ping = bed.ssh("node1", "ip netns exec pod-1a ping -c1 -W2 10.244.2.2", check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def failed_node(doc: dict[str, Any], node: str) -> dict[str, Any]:
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert [f["node"] for f in doc["failed_nodes"]] == [node], doc["failed_nodes"]
    return doc["failed_nodes"][0]


@pytest.fixture(autouse=True)
def clean_lab(bed: Testbed) -> Iterator[None]:
    yield
    topo(bed, "destroy", LAB, "-i", inv(bed), check=False)


def background_apply(bed: Testbed) -> subprocess.Popen[str]:
    env = [f"{k}={v}" for k, v in bed.ansible_env().items()]
    return bed.sandbox.popen(["env", *env, TOPO, "apply", LAB, "-i", inv(bed), "--json"])


def test_an_unreachable_node_is_named_and_the_other_converges(bed: Testbed, tmp_path: Path) -> None:
    data = bed.inventory()
    data["all"]["children"]["nodes"]["hosts"]["node2"]["ansible_host"] = "192.0.2.250"  # type: ignore[index]
    broken = bed.write_inventory(tmp_path / "inventory.yml", data)
    res = topo(bed, "apply", LAB, "-i", str(broken), "--json", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    failed = failed_node(json.loads(res.stdout), "node2")
    assert "192.0.2.250" in failed["error"], failed
    assert next(r for r in json.loads(res.stdout)["runs"] if r["node"] == "node2")["status"] == "unreachable"
    assert "node2: FAILED" in res.stderr
    assert_node1_converged(bed)
    assert_next_run_converges_all(bed)


def test_fail_fast_with_an_unreachable_node_stops_the_other(bed: Testbed, tmp_path: Path) -> None:
    data = bed.inventory()
    data["all"]["children"]["nodes"]["hosts"]["node2"]["ansible_host"] = "192.0.2.250"  # type: ignore[index]
    broken = bed.write_inventory(tmp_path / "inventory.yml", data)
    res = topo(bed, "apply", LAB, "-i", str(broken), "--fail-fast", check=False)
    assert res.returncode == 1 and "node node2 failed" in res.stderr, res.stderr


def test_sshd_dying_mid_run_is_named_and_the_other_converges(bed: Testbed) -> None:
    proc = background_apply(bed)
    try:
        pid = bed.find_process("node2", "topo-node.pyz", timeout=300)
        assert bed.kill_ssh_sessions("node2", pid), "no sshd session above topo on node2"
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 1, out + err
    failed = failed_node(json.loads(out), "node2")
    assert failed["error"], failed
    assert "node2: FAILED" in err
    assert_node1_converged(bed)
    assert_next_run_converges_all(bed)


def test_a_full_disk_is_named_and_the_other_converges(bed: Testbed) -> None:
    # node2's /var/lib/topo (topo's records) a full 64 KiB tmpfs, in the node's mount namespace
    full = "mount -t tmpfs -o size=64k tb-full /var/lib/topo && (dd if=/dev/zero of=/var/lib/topo/fill bs=4k 2>/dev/null || true)"
    bed.ssh("node2", full)
    try:
        res = topo(bed, "apply", LAB, "-i", inv(bed), "--json", check=False)
        assert res.returncode == 1, res.stdout + res.stderr
        failed = failed_node(json.loads(res.stdout), "node2")
        assert "No space left on device" in failed["error"], failed
        assert_node1_converged(bed)
    finally:
        bed.ssh("node2", "umount /var/lib/topo")
    assert_next_run_converges_all(bed)


def test_topo_killed_halfway_is_named_and_the_next_run_converges(bed: Testbed) -> None:
    proc = background_apply(bed)
    try:
        pid = bed.find_process("node2", "topo-node.pyz", timeout=300)
        netns = Path(f"/proc/{pid}/root/run/netns")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(netns.iterdir()):
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 1, out + err
    failed = failed_node(json.loads(out), "node2")
    assert "killed by signal 9" in failed["error"], failed
    assert "node2: FAILED" in err
    assert_node1_converged(bed)
    assert_next_run_converges_all(bed)
