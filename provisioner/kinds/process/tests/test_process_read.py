"""The process kind's facts (root-free, records in a temporary state directory): a recorded
process runs while its pid has the recorded start time; a record of a pid that started later
(reused) or of no process is dead; a torn file is no process."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from provisioner.processes import _start_time, procs_dir, read_processes, session_members, ProcessRecord
from provisioner.roots import Roots


def write(roots: Roots, name: str, pid: int, start: int) -> None:
    d = procs_dir(roots, "lab")
    d.mkdir(parents=True, exist_ok=True)
    rec = {"netns": "pod", "name": name, "command": "sleep 1", "env": [], "pid": pid, "start_time": start, "user": None}
    (d / f"pod.{name}.json").write_text(json.dumps(rec))


def test_alive_dead_and_torn_records(tmp_path: Path) -> None:
    roots = Roots.from_environ({"TOPO_STATE_DIR": str(tmp_path)})
    me, started = os.getpid(), _start_time(os.getpid())
    assert started is not None
    write(roots, "me", me, started)
    write(roots, "reused", me, started - 1)
    write(roots, "gone", 2**22 + 1, 1)
    (procs_dir(roots, "lab") / "pod.torn.json").write_text("{not json")
    live = read_processes(roots, "lab", {"pod": None})
    assert {k: v.alive for k, v in live.items()} == {("pod", "me"): True, ("pod", "reused"): False, ("pod", "gone"): False}
    assert not live[("pod", "me")].in_place  # not in the namespace the lab says


def test_no_session_member_in_the_nodes_own_namespace() -> None:
    """A session whose members all live in the node's own namespace is never the lab's (a
    session of its own: this test's session may hold other programs, in other namespaces)."""
    # a session of its own, started here: its members are all in this namespace
    child = subprocess.Popen(["sleep", "5"], start_new_session=True)
    try:
        assert session_members(ProcessRecord("pod", "x", "sleep 5", [], child.pid, 0)) == []
    finally:
        child.kill()
        child.wait()
