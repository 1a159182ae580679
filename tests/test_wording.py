"""What topo says is what happened: a rollback names the state the machine is in (checked with
`ip netns`, /proc and a fresh plan), its steps are counted on their own; a dead process is
one change; a lab never applied has nothing to destroy; plan and apply say "no changes" the
same way; a file's warnings print once, and not at all with --quiet.

The failed verification is real: a process that passes its start (it keeps running) but
moves itself into a namespace of its own (`unshare -n`) at once, so the verification
finds it away from its namespace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

GOOD_WEB = "exec sleep 1001"
ESCAPES = "exec unshare -n sleep 1002"  # keeps running, in a namespace of its own

LAB = """\
name: wd
namespaces:
  pod-a:
    interfaces: {{lo: {{up: true}}}}
    processes:
      web: {web}
{more}"""
POD_B = """\
  pod-b:
    interfaces: {lo: {up: true}}
"""


def _lab(tmp_path: Path, name: str, web: str, more: str = "") -> str:
    path = tmp_path / name
    path.write_text(LAB.format(web=json.dumps(web), more=more))
    return str(path)


def _commands_in(sandbox: Sandbox, netns: str) -> list[str]:
    """The command lines of the processes in `netns`, from the kernel (`ip netns pids`, /proc)."""
    pids = sandbox.run(["ip", "netns", "pids", netns]).stdout.split()
    out = []
    for pid in pids:
        cmdline = sandbox.run(["cat", f"/proc/{pid}/cmdline"], check=False).stdout
        out.append(cmdline.replace("\0", " ").strip())
    return out


def _namespaces(sandbox: Sandbox) -> list[str]:
    return sorted(line.split()[0] for line in sandbox.run(["ip", "netns", "list"]).stdout.splitlines() if line.strip())


def _counters_within_totals(stderr: str) -> None:
    counters = [(int(a), int(b)) for a, b in re.findall(r"\((\d+)/(\d+), ", stderr)]
    assert counters, stderr
    assert all(done <= total for done, total in counters), f"a progress counter over its total:\n{stderr}"


def test_rollback_after_failed_verification_says_where_the_lab_is(sandbox: Sandbox, tmp_path: Path) -> None:
    good = _lab(tmp_path, "good.yaml", GOOD_WEB)
    bad = _lab(tmp_path, "bad.yaml", ESCAPES, POD_B)
    sandbox.topo("apply", good)
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "verification failed" in res.stderr
    assert "as it was before this apply" not in res.stderr
    assert "back at its last verified state" in res.stderr and "verified" in res.stderr.split("rolled back:")[1]
    assert "rolling back: " in res.stderr, "the way back is a step of its own"
    _counters_within_totals(res.stderr)
    # what the message says, checked: pod-b is gone, pod-a runs the good command again
    assert _namespaces(sandbox) == ["pod-a"]
    assert _commands_in(sandbox, "pod-a") == ["sleep 1001"]
    assert sandbox.topo("plan", good, check=False).returncode == 0


def test_a_rollback_to_the_same_file_says_it_applied_it_again(sandbox: Sandbox, tmp_path: Path) -> None:
    flag = tmp_path / "escape-once"
    lab = _lab(tmp_path, "lab.yaml", f"if [ -e {flag} ]; then rm {flag}; {ESCAPES}; else {GOOD_WEB}; fi")
    sandbox.topo("apply", lab)
    pid = sandbox.run(["ip", "netns", "pids", "pod-a"]).stdout.split()[0]
    sandbox.run(["kill", "-9", pid])  # drift: the process is gone; the lab is not as verified
    flag.touch()  # the restart escapes once: the verification fails, the way back (this same file) works
    res = sandbox.topo("apply", lab, "--rollback", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "as it was before this apply" not in res.stderr, "before this apply the process was dead"
    assert "applied it again" in res.stderr and f"now matches {lab}" in res.stderr, res.stderr
    _counters_within_totals(res.stderr)
    assert _commands_in(sandbox, "pod-a") == ["sleep 1001"]
    assert sandbox.topo("plan", lab, check=False).returncode == 0


def test_a_failed_rollback_says_what_is_left(sandbox: Sandbox, tmp_path: Path) -> None:
    ok = tmp_path / "ok"
    ok.touch()
    good = _lab(tmp_path, "good.yaml", f"test -e {ok} && {GOOD_WEB}")
    bad = _lab(tmp_path, "bad.yaml", ESCAPES)
    sandbox.topo("apply", good)
    ok.unlink()  # the last verified state cannot come back: its process exits at once now
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "could not roll back (1 of its 2 actions done)" in res.stderr, res.stderr
    assert "rolled back:" not in res.stderr
    left = res.stderr.split("not done of the way back:\n")[1].splitlines()[0]
    assert left.startswith("  ~ pod-a: process web:") and "test -e" in left, res.stderr
    _counters_within_totals(res.stderr)
    assert _commands_in(sandbox, "pod-a") == [], "what the message says: nothing runs in pod-a"


def test_a_failed_first_apply_is_removed_and_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    bad = _lab(tmp_path, "bad.yaml", ESCAPES, POD_B)
    res = sandbox.topo("apply", bad, "--rollback", check=False)
    assert res.returncode == 1
    assert "lab wd is removed" in res.stderr and "nothing of it is left" in res.stderr, res.stderr
    _counters_within_totals(res.stderr)
    assert _namespaces(sandbox) == []
    assert sandbox.run(["ls", "-A", "/var/lib/topo/labs"]).stdout.strip() == ""


def _process_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "process web" in line]


def test_a_dead_process_is_one_change_showing_its_recorded_command(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "lab.yaml", GOOD_WEB)
    sandbox.topo("apply", lab)
    pid = sandbox.run(["ip", "netns", "pids", "pod-a"]).stdout.split()[0]
    sandbox.run(["kill", "-9", pid])
    res = sandbox.topo("plan", lab, check=False)
    assert res.returncode == 2
    assert _process_lines(res.stdout) == [f"~ pod-a: process web: pid {pid} exited -> restart"], res.stdout
    assert "Plan: 0 to create, 1 to change, 0 to delete." in res.stdout
    edited = _lab(tmp_path, "edited.yaml", "exec sleep 1003")
    res = sandbox.topo("plan", edited, check=False)
    assert _process_lines(res.stdout) == [f"~ pod-a: process web: pid {pid} exited, command: {GOOD_WEB} -> "
                                          "restart, command: exec sleep 1003"], res.stdout
    doc = json.loads(sandbox.topo("plan", edited, "--json", check=False).stdout)
    assert [c["action"] for c in doc["nodes"][0]["changes"]] == ["start-process"]
    applied = sandbox.topo("apply", edited)
    assert "Apply complete: 1 action;" in applied.stdout
    assert _commands_in(sandbox, "pod-a") == ["sleep 1003"]
    assert sandbox.topo("plan", edited, check=False).returncode == 0


def test_destroy_of_a_lab_never_applied_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "lab.yaml", GOOD_WEB)
    before = sandbox.snapshot()
    for args in (("plan", "--destroy", lab), ("destroy", lab)):
        res = sandbox.topo(*args, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.strip() == "Nothing to destroy: lab wd is not applied on this node (no record of it, " \
                                     "no objects marked with it).", res.stdout
    assert sandbox.snapshot() == before


def test_plan_and_apply_say_no_changes_the_same_way(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = _lab(tmp_path, "lab.yaml", GOOD_WEB)
    sandbox.topo("apply", lab)
    plan = sandbox.topo("plan", lab)
    apply = sandbox.topo("apply", lab)
    assert plan.stdout == apply.stdout == f"No changes: the machine matches {lab}.\n"
    assert _commands_in(sandbox, "pod-a") == ["sleep 1001"]


WARNED = """\
name: wn
namespaces:
  a: {interfaces: {eth0: {addresses: [10.61.0.1/24], mtu: 1400}}}
  b: {interfaces: {eth0: {addresses: [10.61.0.2/24]}}}
links:
  - {a: a:eth0, b: b:eth0}
"""


def test_file_notes_once_per_file_and_quiet_silences_them(sandbox: Sandbox, tmp_path: Path) -> None:
    lab = tmp_path / "warned.yaml"
    lab.write_text(WARNED)
    twice = sandbox.topo("validate", str(lab), str(lab))
    assert twice.stderr.count("warning: MTU differs") == 1, twice.stderr
    for args in (("-q", "plan", str(lab)), ("plan", str(lab), "--quiet"), ("--quiet", "apply", str(lab)),
                 ("check", str(lab), "-q"), ("-q", "destroy", str(lab))):
        res = sandbox.topo(*args, check=False)
        assert res.returncode in (0, 2), res.stdout + res.stderr
        assert "warning:" not in res.stderr, (args, res.stderr)
    assert sandbox.topo("plan", str(lab), check=False).stderr.count("warning: MTU differs") == 1
    # --json keeps them: they are its content
    doc = json.loads(sandbox.topo("-q", "validate", str(lab), "--json").stdout)
    assert [d["severity"] for d in doc] == ["warning"]
    # errors still print with --quiet
    broken = tmp_path / "broken.yaml"
    broken.write_text(WARNED.replace("mtu: 1400", "mtu: big"))
    res = sandbox.topo("-q", "plan", str(broken), check=False)
    assert res.returncode == 1 and "must be an integer" in res.stderr and "warning:" not in res.stderr
