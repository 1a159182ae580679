"""One topo run at a time per node (/run/topo/lock): a second apply while the first holds the
lock fails at once with --no-wait, or says it waits and then runs after the first has
finished, so two runs never interleave; a killed holder never leaves a stale lock."""

from __future__ import annotations

import importlib.util
import select
import signal
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from sandbox import REPO, Sandbox
from test_interrupt import Run, spawn  # topo's own process in the sandbox, and a pidfd on it

pytestmark = pytest.mark.kernel

_spec = importlib.util.spec_from_file_location("bench_labs", REPO / "bench" / "labs.py")
assert _spec is not None and _spec.loader is not None
_labs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_labs)
pods_lab = _labs.pods_lab  # the flannel-style lab scaled to N pods

LAB = "bench"


@pytest.fixture
def start(sandbox: Sandbox) -> Iterator[Callable[..., Run]]:
    """spawn() in the test's sandbox; whatever still runs at the end (a run the test stopped
    with SIGSTOP and then failed) is killed, so no stopped topo outlives the test."""
    runs: list[Run] = []

    def run(*args: str) -> Run:
        runs.append(spawn(sandbox, *args))
        return runs[-1]

    yield run
    for r in runs:
        if r.returncode is None:
            r.signal(signal.SIGKILL)
            r.communicate(timeout=30)


def lock_text(box: Sandbox) -> str:
    """/run/topo/lock as the sandbox sees it (through the holder's root)."""
    try:
        return Path(f"/proc/{box.pid}/root/run/topo/lock").read_text()
    except FileNotFoundError:
        return ""


def hold_lock_stopped(box: Sandbox, run: Run) -> str:
    """Wait until `run` holds the node lock, then freeze it there (SIGSTOP). Returns how the
    lock file names it ("topo pid N", N as the sandbox sees it)."""
    holder = f"topo pid {run.inner_pid}"
    deadline = time.monotonic() + 30
    while lock_text(box) != f"{holder}\n":
        assert run.proc.poll() is None, f"the first apply ended before taking the lock: {run.communicate()}"
        assert time.monotonic() < deadline, "the first apply never took the lock"
        time.sleep(0.0005)
    run.signal(signal.SIGSTOP)
    while (state := Path(f"/proc/{run.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) not in ("T", "t"):
        assert state != "Z" and time.monotonic() < deadline, f"the first apply did not stop (state {state})"
        time.sleep(0.0005)
    assert lock_text(box) == f"{holder}\n", "stopped while holding the lock"
    return holder


def read_stderr_line(run: Run, timeout: float = 30) -> str:
    assert run.proc.stderr is not None
    ready, _, _ = select.select([run.proc.stderr], [], [], timeout)
    assert ready, "no message on stderr"
    return run.proc.stderr.readline()


def machine(box: Sandbox) -> dict[str, Any]:
    snap = box.snapshot()
    snap["state_files"] = box.run(["find", "/var/lib/topo", "/etc/netns", "-type", "f"]).stdout
    return snap


def test_second_apply_fails_with_no_wait_and_waits_without(sandbox: Sandbox, tmp_path: Path, start: Any) -> None:
    box = sandbox
    lab = tmp_path / "pods50.yaml"
    lab.write_text(pods_lab(50, LAB))
    before = machine(box)

    first = start("apply", str(lab))
    try:
        holder = hold_lock_stopped(box, first)

        # --no-wait: exit 1 at once, naming the lock and its holder, without touching anything
        for args in (("apply", "--no-wait", str(lab)), ("destroy", "--no-wait", str(lab)),
                     ("destroy", "--no-wait", "--lab", "some-other-lab")):
            busy = box.topo(*args, check=False, timeout=60)
            assert busy.returncode == 1, f"{args}: {busy.returncode}\n{busy.stdout}\n{busy.stderr}"
            assert f"error: {holder} holds the topo lock on this machine" in busy.stderr, busy.stderr
            assert "leave out --no-wait" in busy.stderr and "Traceback" not in busy.stderr
            assert "Plan:" not in busy.stdout and busy.stdout.strip() == ""

        # without --no-wait: says it waits, and does wait
        second = start("apply", str(lab))
        line = read_stderr_line(second)
        assert line == f"waiting for {holder} to finish (the topo lock on this machine)...\n", line
        assert second.proc.poll() is None, "the second apply must wait while the first holds the lock"
        assert lock_text(box) == f"{holder}\n"
    finally:
        first.signal(signal.SIGCONT)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, f"{out1}\n{err1}"
    assert "Apply complete: 302 actions" in out1
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 0, f"{out2}\n{err2}"
    # the second run planned only after the first had finished: nothing was left to do
    assert f"No changes: the machine matches {lab}." in out2, out2
    assert box.topo("plan", str(lab), check=False).returncode == 0
    box.topo("destroy", str(lab))
    assert machine(box) == before


def test_concurrent_applies_never_interleave(sandbox: Sandbox, tmp_path: Path, start: Any) -> None:
    """Three applies of the same 50-pod lab started together: one does the work, the others
    find nothing to do. Interleaved, they would plan the same creations and collide."""
    box = sandbox
    lab = tmp_path / "pods50.yaml"
    lab.write_text(pods_lab(50, LAB))
    before = machine(box)
    for _ in range(2):
        procs = [start("apply", str(lab)) for _ in range(3)]
        results = [(*r.communicate(timeout=120), r.returncode) for r in procs]
        results = [(rc, out, err) for out, err, rc in results]
        assert [rc for rc, _, _ in results] == [0, 0, 0], results
        assert sum("Apply complete: 302 actions" in out for _, out, _ in results) == 1, results
        assert sum(f"No changes: the machine matches {lab}." in out for _, out, _ in results) == 2, results
        assert box.topo("plan", str(lab), check=False).returncode == 0
        box.topo("destroy", str(lab))
        assert machine(box) == before


def test_killed_holder_releases_the_lock(sandbox: Sandbox, tmp_path: Path, start: Any) -> None:
    box = sandbox
    lab = tmp_path / "pods50.yaml"
    lab.write_text(pods_lab(50, LAB))
    before = machine(box)
    first = start("apply", str(lab))
    holder = hold_lock_stopped(box, first)
    second = start("apply", str(lab))
    assert read_stderr_line(second).startswith(f"waiting for {holder} to finish")
    second_holder = f"topo pid {second.inner_pid}"
    first.signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, f"{out}\n{err}"
    assert lock_text(box) == f"{second_holder}\n"  # the second run took the lock the killed one held

    assert box.topo("apply", "--no-wait", str(lab)).returncode == 0  # no stale lock
    assert box.topo("plan", str(lab), check=False).returncode == 0
    box.topo("destroy", "--no-wait", str(lab))
    assert machine(box) == before
