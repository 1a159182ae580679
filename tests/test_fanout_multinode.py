"""The controller side of a multi-node run on the test bed (tests/testbed.py, real SSH):
per-node progress as it happens, the first line within 1 s, --limit/--forks/-v, one JSON plan
for every node that validates against schemas/plan.schema.json, and multi-node check (the
cross-node checks of 08-multi-node.yaml, one table, one JUnit file), show and exec."""

from __future__ import annotations

import json
import select
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from sandbox import REPO, TOPO
from test_multinode import LAB, NODES, bed, topo  # noqa: F401  (bed: the module's test bed fixture)
from testbed import Testbed

pytestmark = pytest.mark.kernel

PLAN_SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())


def inv(bed: Testbed) -> str:
    return str(bed.inventory_path())


def first_stderr_line(bed: Testbed, *args: str, timeout: float = 60) -> tuple[float, str, str]:
    """(seconds to the first line on stderr, that line, the rest of the output) of `topo ARGS`."""
    env = [f"{k}={v}" for k, v in bed.ansible_env().items()]
    t0 = time.monotonic()
    proc = bed.sandbox.popen(["env", *env, TOPO, *args])
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], timeout)
    seconds = time.monotonic() - t0
    line = proc.stderr.readline() if ready else ""
    out, err = proc.communicate(timeout=timeout)
    return seconds, line, out + err


def test_plan_json_of_every_node_validates_against_the_schema(bed: Testbed) -> None:
    res = topo(bed, "plan", LAB, "-i", inv(bed), "--json", check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert [r["node"] for r in doc["runs"]] == list(NODES)
    assert {r["status"] for r in doc["runs"]} == {"changed"} and doc["failed_nodes"] == []
    # progress on stderr, one line per node as it starts and as its plan comes in
    for node in NODES:
        assert f"{node}: started" in res.stderr and f"{node}: plan: Plan: " in res.stderr, res.stderr


def test_first_line_within_one_second(bed: Testbed) -> None:
    seconds, line, rest = first_stderr_line(bed, "plan", LAB, "-i", inv(bed))
    assert line.startswith("planning lab two-nodes on 2 nodes: node1, node2"), line + rest
    assert seconds < 1.0, f"first output after {seconds:.2f}s"


def test_limit_runs_only_the_selected_node(bed: Testbed) -> None:
    res = topo(bed, "plan", LAB, "-i", inv(bed), "--json", "--limit", "node2", "--forks", "1", check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert [n["node"] for n in doc["nodes"]] == ["node2"] and [r["node"] for r in doc["runs"]] == ["node2"]
    assert "node1: started" not in res.stderr
    bad = topo(bed, "plan", LAB, "-i", inv(bed), "--limit", "node3", check=False)
    assert bad.returncode == 1 and "--limit node3 selects none of lab two-nodes's nodes" in bad.stderr, bad.stderr


def test_verbose_shows_every_nodes_task_and_its_steps(bed: Testbed) -> None:
    doc = json.loads(topo(bed, "plan", LAB, "-i", inv(bed), "--json", check=False).stdout)
    quiet = topo(bed, "plan", LAB, "-i", inv(bed), check=False)
    loud = topo(bed, "plan", LAB, "-i", inv(bed), "-v", check=False)
    assert quiet.returncode == 2, quiet.stdout + quiet.stderr
    assert loud.returncode == 2, loud.stdout + loud.stderr
    for node in NODES:
        # -v: the node's Ansible task line, and one line per step of what its module returned
        sign = {"create": "+", "update": "~", "delete": "-"}
        wanted = [(sign[c["change"]], c["namespace"] or "(root)", c["target"]) for n in doc["nodes"] if n["node"] == node
                  for c in n["changes"]]
        steps = [l for l in loud.stderr.splitlines() if l.startswith(f"{node}:   ")]
        assert f"{node}: topo lab: changed" in loud.stderr.splitlines(), loud.stderr
        assert len(steps) == len(wanted) > 0, steps
        assert all(any(s.startswith(f"{node}:   {sg} {ns}: {target}") for s in steps) for sg, ns, target in wanted), steps
        assert not [l for l in quiet.stderr.splitlines() if l.startswith(f"{node}: topo lab") or l.startswith(f"{node}:   ")]
    # -vvv reaches Ansible itself: its own connection lines come through
    loudest = topo(bed, "plan", LAB, "-i", inv(bed), "--limit", "node1", "-vvv", check=False)
    assert "ESTABLISH SSH CONNECTION" in loudest.stderr and "ESTABLISH SSH CONNECTION" not in loud.stderr, loudest.stderr[-2000:]


def test_check_runs_every_nodes_checks_across_the_nodes(bed: Testbed, tmp_path: Path) -> None:
    topo(bed, "apply", LAB, "-i", inv(bed))
    junit = tmp_path / "checks.xml"
    res = topo(bed, "check", LAB, "-i", inv(bed), "--junit", str(junit), "--json", check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    by_from = {(c["from"], c["target"]): c for c in doc["checks"]}
    assert by_from[("pod-1a", "10.244.2.2")]["node"] == "node1" and by_from[("pod-2b", "10.250.0.12")]["node"] == "node2"
    assert {c["result"] for c in doc["checks"]} == {"passed"}, doc
    suite = ET.parse(junit).getroot()
    assert int(suite.get("tests", "0")) == len(doc["checks"]) >= 4 and suite.get("failures") == "0"
    assert suite.get("skipped") == "0", "every check ran on its own node"
    # node2's pod cut off: the checks towards it from node1 and its own fail, named
    bed.ssh("node2", "ip link set veth-2a down")
    try:
        res = topo(bed, "check", LAB, "-i", inv(bed), "--junit", str(junit), check=False)
        assert res.returncode == 1, res.stdout + res.stderr
        failed = {c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None}
        assert any("pod-1a" in n and "10.244.2.2" in n for n in failed), failed
        assert any("pod-2a" in n and "10.244.1.2" in n for n in failed), failed
        assert not any("10.250.0" in n for n in failed), "the VXLAN pods still reach each other"
    finally:
        bed.ssh("node2", "ip link set veth-2a up")


def test_show_lists_every_nodes_objects(bed: Testbed) -> None:
    res = topo(bed, "show", LAB, "-i", inv(bed), "--json")
    doc = json.loads(res.stdout)
    assert sorted(doc["nodes"]) == list(NODES) and doc["failed_nodes"] == []
    pods = {n: {r["namespace"] for r in shown["interfaces"]} for n, shown in doc["nodes"].items()}
    assert {"pod-1a", "pod-1b"} <= pods["node1"] and {"pod-2a", "pod-2b"} <= pods["node2"]
    routed = {n: {r["namespace"] for r in shown["routes"]} for n, shown in doc["nodes"].items()}
    assert {"pod-1a", "pod-1b"} <= routed["node1"] and {"pod-2a", "pod-2b"} <= routed["node2"]
    table = topo(bed, "show", LAB, "-i", inv(bed))
    assert "node node1" in table.stdout and "node node2" in table.stdout and "pod-2b" in table.stdout


def test_exec_on_a_node_passes_argv_and_exit_status(bed: Testbed) -> None:
    ping = topo(bed, "exec", "-i", inv(bed), "--node", "node1", "pod-1a", "--", "ping", "-c1", "-W2", "10.244.2.2")
    assert "1 received" in ping.stdout, ping.stdout
    # every argument arrives as it is: no shell on the way (the node would have a file otherwise)
    odd = "x; touch /tmp/topo-exec-pwned $(id)"
    echo = topo(bed, "exec", "-i", inv(bed), "--node", "node1", "pod-1a", "--", "echo", odd)
    assert echo.stdout.strip() == odd
    assert bed.ssh("node1", "ls /tmp/topo-exec-pwned", check=False).returncode != 0
    where = topo(bed, "exec", "-i", inv(bed), "--node", "node2", "pod-2a", "--", "ip", "-j", "addr", "show", "eth0")
    assert json.loads(where.stdout)[0]["addr_info"][0]["local"] == "10.244.2.2", "ran in pod-2a on node2"
    assert topo(bed, "exec", "-i", inv(bed), "--node", "node1", "pod-1a", "--", "false", check=False).returncode == 1
    assert topo(bed, "exec", "--node", "node1", "pod-1a", "--", "true", check=False).returncode == 2, "--node needs -i"
