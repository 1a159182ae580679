"""Declared processes and checks on the real kernel.

- every example's `checks:` pass after apply (`topo check`, JUnit XML for CI), and a broken
  lab makes them fail with exit 1, the failing check named in the table and the XML;
- processes: started by apply (found in the namespace with independent tools), shown by
  plan and restarted by apply when dead, restarted when their command changes, stopped by
  destroy (nothing left running, no files left)."""

from __future__ import annotations

import json
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import LOCAL_EXAMPLES, example
from sandbox import REPO, Sandbox

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("path", [str(p.relative_to(REPO)) for p in LOCAL_EXAMPLES], ids=lambda p: p.split("/")[-1])
def test_every_example_proves_its_lesson(sandbox: Sandbox, path: str, tmp_path: Path) -> None:
    sandbox.topo("apply", path)
    junit = tmp_path / "checks.xml"
    res = sandbox.topo("check", path, "--junit", str(junit), check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests", "0")) >= 2, "each example carries its checks"
    assert suite.get("failures") == "0" and not suite.findall(".//failure")
    assert "failed" not in res.stdout.split("\n")[-2] or " 0 failed" in res.stdout


def test_a_broken_lab_fails_its_checks(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = example("05")
    sandbox.topo("apply", lab)
    sandbox.run(["ip", "netns", "exec", "pod-c", "ip", "link", "set", "eth0", "down"])  # pod-c is cut off
    junit = tmp_path / "checks.xml"
    res = sandbox.topo("check", lab, "--junit", str(junit), "--json", check=False)
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    failed = [c["name"] for c in doc["checks"] if c["result"] == "failed"]
    assert failed == ["pod-a -> 10.42.0.7 (ping)"], failed
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    assert [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None] == failed


def test_expect_failure_is_checked_too(sandbox: Sandbox, tmp_path: Path) -> None:
    # web1-alone gets web2's port in its own namespace: the isolation check must now fail
    text = Path(REPO / example("02")).read_text().replace(
        "processes: {web1: python3 -m http.server 1111 --bind 127.0.0.1}",
        "processes: {web1: python3 -m http.server 1111 --bind 127.0.0.1, rogue: python3 -m http.server 2222 --bind 127.0.0.1}")
    lab = tmp_path / "shared.yaml"
    lab.write_text(text)
    sandbox.topo("apply", str(lab))
    res = sandbox.topo("check", str(lab), "-q", check=False)
    assert res.returncode == 1
    assert "FAILED web1-alone -> 127.0.0.1:2222 fails" in res.stdout


def _pids(sandbox: Sandbox, netns: str) -> set[int]:
    out = sandbox.run(["ip", "netns", "pids", netns]).stdout
    return {int(p) for p in out.split()}


def _cmdline(sandbox: Sandbox, pid: int) -> str:
    return sandbox.run(["cat", f"/proc/{pid}/cmdline"], check=False).stdout.replace("\0", " ")


def test_processes_started_restarted_and_stopped(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "procs.yaml"
    lab.write_text("name: procs\nnamespaces:\n  pod:\n    processes:\n"
                   "      ticker: {command: 'echo started $GREETING; exec sleep 600', env: {GREETING: hello}}\n")
    before = sandbox.snapshot()
    sandbox.topo("apply", str(lab))
    pids = _pids(sandbox, "pod")
    assert len(pids) == 1 and "sleep 600" in _cmdline(sandbox, next(iter(pids)))
    log = sandbox.run(["cat", "/var/lib/topo/logs/procs/pod.ticker.log"]).stdout
    assert log == "started hello\n"
    assert sandbox.topo("plan", str(lab), check=False).returncode == 0

    sandbox.run(["kill", "-KILL", str(next(iter(pids)))])
    time.sleep(0.1)
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 2 and "process ticker" in plan.stdout and "dead" in plan.stdout
    sandbox.topo("apply", str(lab))
    again = _pids(sandbox, "pod")
    assert len(again) == 1 and again != pids

    lab.write_text(lab.read_text().replace("sleep 600", "sleep 700"))
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 2 and "old command" in plan.stdout
    sandbox.topo("apply", str(lab))
    third = _pids(sandbox, "pod")
    assert len(third) == 1 and "sleep 700" in _cmdline(sandbox, next(iter(third)))

    sandbox.topo("destroy", str(lab))
    assert sandbox.run(["kill", "-0", str(next(iter(third)))], check=False).returncode != 0, "destroy stops it"
    assert sandbox.snapshot() == before
    assert sandbox.run(["find", "/var/lib/topo", "-mindepth", "1", "-not", "-type", "d"]).stdout == ""
