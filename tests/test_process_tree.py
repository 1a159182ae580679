"""A process is its whole tree (issue 15, point 7): killing the recorded pid (the `sh` of a
compound command) leaves its child holding the port, and apply stops that child before it
starts the process again, so one apply converges; destroy leaves no process of the lab and
no namespace pinned by one; a process that exits right after it starts fails the apply with
its log's last lines. Real kernel, sandboxed; checked with `ss`, `ps` and `lsns`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = """\
name: tree
namespaces:
  web-pod:
    processes:
      web: {{command: "{command}"}}
"""
SERVE = "cd / && python3 -m http.server 18080 --bind 127.0.0.1"


def listeners(box: Sandbox) -> list[str]:
    out = box.run(["ip", "netns", "exec", "web-pod", "ss", "-Hltnp", "sport", "= :18080"]).stdout
    return [line for line in out.splitlines() if line.strip()]


def recorded_pid(box: Sandbox) -> int:
    return int(json.loads(box.run(["cat", "/var/lib/topo/procs/tree/web-pod.web.json"]).stdout)["pid"])


def wait_listening(box: Sandbox) -> None:
    box.run(["sh", "-c", "for i in $(seq 100); do ip netns exec web-pod ss -Hltn 'sport = :18080' | grep -q . && exit 0; "
                         "sleep 0.05; done; exit 1"])


def test_a_killed_sh_leaves_no_orphan_behind(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(command=SERVE))
    sandbox.topo("apply", str(path))
    wait_listening(sandbox)
    sandbox.run(["kill", "-9", str(recorded_pid(sandbox))])  # the sh; python, its child, keeps the port
    assert len(listeners(sandbox)) == 1
    assert sandbox.topo("plan", str(path), check=False).returncode == 2
    applied = sandbox.topo("apply", str(path), check=False)
    assert applied.returncode == 0 and "verified" in applied.stdout, applied.stdout + applied.stderr
    wait_listening(sandbox)
    assert len(listeners(sandbox)) == 1
    assert sandbox.topo("plan", str(path), check=False).returncode == 0
    sandbox.topo("destroy", str(path))
    left = sandbox.run(["sh", "-c", "ps -eo args | grep -c '[h]ttp.server 18080' || true"]).stdout.strip()
    assert left == "0", "a process of the lab outlived destroy"
    pinned = sandbox.run(["lsns", "-n", "-t", "net", "-o", "NS"]).stdout.split()
    assert len(pinned) == 1, f"a namespace besides the sandbox's own is still pinned: {pinned}"


def test_a_process_that_exits_at_once_fails_the_apply(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(command="echo cannot bind; exit 3"))
    applied = sandbox.topo("apply", str(path), check=False)
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "exited right after it started" in applied.stderr and "cannot bind" in applied.stderr, applied.stderr


def test_a_forged_process_record_stops_nothing_of_the_node(sandbox: Sandbox, tmp_path: Path) -> None:
    """A process record is untrusted: one naming a process of the node's own namespace (its
    session, any start time) makes destroy signal nothing there."""
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.format(command="exec sleep 600"))
    sandbox.topo("apply", str(path))
    victim = int(sandbox.run(["sh", "-c", "setsid sleep 600 > /dev/null 2>&1 & echo $!"]).stdout)
    forged = {"netns": "web-pod", "name": "web", "command": "exec sleep 600", "env": [], "pid": victim,
              "start_time": 0, "user": None}
    sandbox.run(["sh", "-c", "cat > /var/lib/topo/procs/tree/web-pod.web.json"], input=json.dumps(forged))
    sandbox.topo("destroy", str(path))
    assert sandbox.run(["kill", "-0", str(victim)], check=False).returncode == 0, "a process of the node was signalled"
