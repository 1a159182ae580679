"""Declared processes and checks on the real kernel.

- every example's `checks:` pass after apply (`topo check`, JUnit XML for CI), and a broken
  lab makes them fail with exit 1, the failing check named in the table and the XML;
- processes: started by apply (found in the namespace with independent tools), shown by
  plan and restarted by apply when dead, restarted when their command changes, stopped by
  destroy (nothing left running, no files left)."""

from __future__ import annotations

import json
import os
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
    assert plan.returncode == 2 and "process ticker" in plan.stdout and f"pid {next(iter(pids))} exited -> restart" in plan.stdout
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


def _mode(sandbox: Sandbox, path: str) -> str:
    return sandbox.run(["stat", "-c", "%a", path]).stdout.strip()


def _status_ids(sandbox: Sandbox, pid: int) -> tuple[int, int, list[int]]:
    status = dict(line.split(":", 1) for line in sandbox.run(["cat", f"/proc/{pid}/status"]).stdout.splitlines())
    return int(status["Uid"].split()[0]), int(status["Gid"].split()[0]), sorted(map(int, status["Groups"].split()))


def test_processes_get_a_clean_environment_and_private_logs(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "env.yaml"
    lab.write_text("name: envlab\nnamespaces:\n  pod:\n    processes:\n"
                   "      dumper: {command: 'env; exec sleep 600', env: {GREETING: hello}}\n")
    sandbox.run([str(REPO / ".venv/bin/topo"), "apply", str(lab)], env={"SECRET_TOKEN": "s3cr3t", "PYTHONPATH": "/nowhere"})
    log = "/var/lib/topo/logs/envlab/pod.dumper.log"
    for _ in range(100):
        env = dict(line.split("=", 1) for line in sandbox.run(["cat", log]).stdout.splitlines() if "=" in line)
        if "GREETING" in env:
            break
        time.sleep(0.02)
    assert "SECRET_TOKEN" not in env and "PYTHONPATH" not in env, "topo's own environment is not passed on"
    own = {k: v for k, v in env.items() if k not in ("PWD", "SHLVL", "_")}  # what sh sets itself
    assert own == {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                   "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "GREETING": "hello"}
    assert _mode(sandbox, log) == "600"
    assert _mode(sandbox, "/var/lib/topo/logs/envlab") == "700" and _mode(sandbox, "/var/lib/topo/logs") == "700"
    assert _mode(sandbox, "/var/lib/topo/procs/envlab") == "700"
    [pid] = _pids(sandbox, "pod")
    assert _status_ids(sandbox, pid)[:2] == (0, 0), "without `user:` a process runs as root"


def test_a_process_runs_as_its_user(sandbox: Sandbox, tmp_path: Path) -> None:
    import pwd

    nobody = pwd.getpwnam("nobody")
    groups = sorted(os.getgrouplist("nobody", nobody.pw_gid))
    lab = tmp_path / "user.yaml"
    lab.write_text("name: userlab\nnamespaces:\n  pod:\n    processes:\n"
                   "      web: {command: 'echo HOME=$HOME; exec sleep 600', user: nobody}\n")
    sandbox.topo("apply", str(lab))
    [pid] = _pids(sandbox, "pod")
    assert _status_ids(sandbox, pid) == (nobody.pw_uid, nobody.pw_gid, groups)
    assert "sleep 600" in _cmdline(sandbox, pid)
    assert sandbox.run(["cat", "/var/lib/topo/logs/userlab/pod.web.log"]).stdout == f"HOME={nobody.pw_dir}\n"
    assert sandbox.topo("plan", str(lab), check=False).returncode == 0, "in sync: the record says who it runs as"

    lab.write_text(lab.read_text().replace(", user: nobody", ""))
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode == 2 and "process web" in plan.stdout, "another user restarts the process"
    sandbox.topo("apply", str(lab))
    [again] = _pids(sandbox, "pod")
    assert again != pid and _status_ids(sandbox, again)[:2] == (0, 0)
    sandbox.topo("destroy", str(lab))


def test_an_unknown_user_is_refused_before_any_change(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "nouser.yaml"
    lab.write_text("name: nouser\nnamespaces:\n  pod:\n    processes:\n"
                   "      web: {command: 'exec sleep 600', user: topo-no-such-user}\n")
    before = sandbox.snapshot()
    plan = sandbox.topo("plan", str(lab), check=False)
    assert plan.returncode != 0 and "user topo-no-such-user does not exist on this node" in plan.stdout + plan.stderr
    res = sandbox.topo("apply", str(lab), check=False)
    assert res.returncode != 0 and "user topo-no-such-user does not exist on this node" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert sandbox.snapshot() == before, "nothing was created"
