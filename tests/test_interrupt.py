"""Interrupted runs of a 50-pod lab: SIGKILL at 20 random points of apply and destroy, at
chosen system calls (strace fault injection), during destroy followed by a second destroy;
and SIGINT / SIGTERM, which stop at a step boundary with a message (exit 130). After each,
the next run converges (plan empty) and destroy leaves the machine exactly as it was.

The signals go to topo's own python process (nsenter forks it inside the sandbox's PID
namespace), through a pidfd. Kill points are random (seeded) within the measured duration of
the run; a run that ends before its point is tried again with its real duration."""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from sandbox import REPO, TOPO, Sandbox

pytestmark = pytest.mark.kernel

_spec = importlib.util.spec_from_file_location("bench_labs", REPO / "bench" / "labs.py")
assert _spec is not None and _spec.loader is not None
_labs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_labs)
pods_lab = _labs.pods_lab  # the flannel-style lab scaled to N pods (cni0, a veth, address, route, hosts each)

LAB = "bench"
PODS = 50
SEED = 20240611


# Two bugs that random SIGKILLs found (both fixed; the exact-syscall tests below keep them fixed):
# a kill between creating /run/netns/NAME and pinning the namespace (or between unpinning and
# unlinking) left a plain file that made every later command fail; a kill after unpinning and
# before removing /etc/netns/NAME left that directory behind for good.
def known_bug(res: subprocess.CompletedProcess[str] | None = None, now: dict[str, Any] | None = None,
              before: dict[str, Any] | None = None) -> None:
    """No known bugs left: every failure fails (kept as the one place to name a new one)."""


# ---- helpers ---------------------------------------------------------------------------------
@dataclass
class Run:
    """A topo run in the sandbox. `proc` is what the test started (nsenter); `pid` is topo's
    own python process: nsenter forks it when it enters the sandbox's PID namespace (or execs
    it in place without one). `pidfd` refers to exactly that process, so a signal never hits
    another process that got its pid after it ended."""

    proc: subprocess.Popen[str]
    pid: int
    pidfd: int

    def signal(self, sig: int) -> None:
        if self.pidfd < 0:
            return  # ended and collected
        try:
            signal.pidfd_send_signal(self.pidfd, sig)
        except ProcessLookupError:
            pass  # already gone
        if sig in (signal.SIGCONT, signal.SIGKILL) and self.pid != self.proc.pid:
            # nsenter stops itself when its child stops, and continues the child when it is
            # continued: it must be woken too, or it never collects the child
            self.proc.send_signal(signal.SIGCONT)

    def communicate(self, timeout: float = 120) -> tuple[str, str]:
        try:
            return self.proc.communicate(timeout=timeout)
        finally:
            if self.pidfd >= 0:
                os.close(self.pidfd)
                self.pidfd = -1

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode  # nsenter passes on topo's exit status, or dies of its signal

    @property
    def inner_pid(self) -> int:
        """The pid inside the sandbox (what topo writes into its lock file)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[-1])


def _topo_python(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return TOPO.encode() in cmdline and "python" in Path(exe).name


def spawn(box: Sandbox, *args: str) -> Run:
    """Start `topo ARGS` in the sandbox; return once topo's python process runs."""
    proc = box.popen([TOPO, *args])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            children = []
        for pid in (proc.pid, *map(int, children)):
            if _topo_python(pid):
                try:
                    fd = os.pidfd_open(pid)
                except ProcessLookupError:
                    continue
                if _topo_python(pid):  # still the same process now that the fd holds it
                    return Run(proc, pid, fd)
                os.close(fd)
        time.sleep(0.0005)
    out, err = proc.communicate(timeout=60)
    raise AssertionError(f"topo {args} was not found running (rc {proc.returncode}): {out} {err}")


def timed(box: Sandbox, *args: str) -> float:
    """Wall time of one topo run, counted from the moment its python process starts."""
    run = spawn(box, *args)
    t0 = time.monotonic()
    out, err = run.communicate(timeout=120)
    elapsed = time.monotonic() - t0
    assert run.returncode == 0, f"topo {args} exited {run.returncode}\n{out}\n{err}"
    return elapsed


def machine(box: Sandbox) -> dict[str, Any]:
    """The sandbox snapshot plus every file topo keeps under /var/lib/topo and /etc/netns
    (a leftover record or temporary file is a difference too)."""
    snap = box.snapshot()
    snap["state_files"] = box.run(["find", "/var/lib/topo", "/etc/netns", "-type", "f"]).stdout
    return snap


def lab_files(tmp_path: Path) -> tuple[str, str]:
    full, half = tmp_path / "pods50.yaml", tmp_path / "pods25.yaml"
    full.write_text(pods_lab(PODS, LAB))
    half.write_text(pods_lab(PODS // 2, LAB))
    return str(full), str(half)


def namespaces(box: Sandbox) -> int:
    return len(box.run(["ls", "-A", "/run/netns"]).stdout.split())


FINGERPRINT = ("ls -A /run/netns | wc -l; ip -o link | wc -l; ip -o addr | wc -l; ip route | wc -l; "
               "find /etc/netns -type f | wc -l; cat /var/lib/topo/labs/*.json 2>/dev/null | md5sum")


def fingerprint(box: Sandbox) -> str:
    """A cheap summary of how far a run got (namespaces, links, addresses, routes, files, record)."""
    return box.run(["sh", "-c", FINGERPRINT]).stdout


def kill_within(box: Sandbox, argv: tuple[str, ...], span: float, rng: random.Random,
                prepare: Callable[[int], None], tries: int = 3) -> tuple[bool, float, list[float]]:
    """SIGKILL topo at a random point of a run of `argv`: uniform(0.1, 0.9) x `span`, its
    expected duration. A run that ends before its kill point shows that runs are faster right
    now than `span` says (the machine's load varies): its duration becomes the span and the
    kill is tried again, from the same start (`prepare(attempt)` sets it up).
    Returns (killed mid-run, the kill point, durations of the runs that ended first)."""
    early: list[float] = []
    delay = 0.0
    for attempt in range(tries):
        prepare(attempt)
        delay = rng.uniform(0.1, 0.9) * span
        run = spawn(box, *argv)
        t0 = time.monotonic()
        while (left := t0 + delay - time.monotonic()) > 0 and run.proc.poll() is None:
            time.sleep(min(left, 0.002))
        ended = run.proc.poll() is not None
        if not ended:
            run.signal(signal.SIGKILL)
        out, err = run.communicate(timeout=60)
        if run.returncode == -signal.SIGKILL:
            return True, delay, early
        assert run.returncode == 0 and "Traceback" not in err, f"{argv}: {run.returncode}\n{out}\n{err}"
        early.append(time.monotonic() - t0)
        span = early[-1]
    return False, delay, early


@dataclass
class Tally:
    kills: int = 0
    mid_run: int = 0
    late: int = 0  # runs that ended before their kill point (and were tried again)
    partial: int = 0  # the kill left a lab between "nothing" and "everything"
    log: list[str] = field(default_factory=list)


# ---- SIGKILL at 20 points ------------------------------------------------------------------------
def test_sigkill_at_20_points_then_apply_converges_and_destroy_restores(sandbox: Sandbox, tmp_path: Path) -> None:
    box = sandbox
    full, half = lab_files(tmp_path)
    before = machine(box)

    # how long each kind of run takes here, so the kill points can be spread over it, and
    # what the machine looks like at each stage
    # (the shorter of two runs: the kill points should fall inside a run, not after it)
    fp_clean = fingerprint(box)
    t_apply = t_shrink = t_grow = t_destroy = 1e9
    for _ in range(2):
        t_apply = min(t_apply, timed(box, "apply", "-q", full))
        fp_full = fingerprint(box)
        t_shrink = min(t_shrink, timed(box, "apply", "-q", half))
        fp_half = fingerprint(box)
        t_grow = min(t_grow, timed(box, "apply", "-q", full))
        t_destroy = min(t_destroy, timed(box, "destroy", "-q", full))
        assert machine(box) == before
    assert len({fp_clean, fp_half, fp_full}) == 3

    rng = random.Random(SEED)
    # fresh: kill an apply on a clean machine; grow: an apply over a half-made lab;
    # shrink: an apply that deletes half the pods; destroy: kill a destroy of the full lab
    kinds = ["fresh"] * 7 + ["grow"] * 5 + ["shrink"] * 4 + ["destroy"] * 4
    rng.shuffle(kinds)
    tally = Tally()
    span = {"fresh": t_apply, "grow": t_grow, "shrink": t_shrink, "destroy": t_destroy}
    for i, kind in enumerate(kinds):
        argv = ("apply", half) if kind == "shrink" else ("destroy", full) if kind == "destroy" else ("apply", full)
        start_from = {"fresh": None, "grow": half, "shrink": full, "destroy": full}[kind]

        def prepare(attempt: int) -> None:
            if start_from is not None:
                box.topo("apply", "-q", start_from)
            elif attempt:  # the run before finished: back to a clean machine
                box.topo("destroy", "-q", full)

        died, delay, early = kill_within(box, argv, span[kind], rng, prepare)
        span[kind] = min([span[kind], *early])
        tally.kills += 1
        tally.mid_run += died
        tally.late += len(early)
        start = {"fresh": fp_clean, "grow": fp_half, "shrink": fp_full, "destroy": fp_full}[kind]
        end = {"fresh": fp_full, "grow": fp_full, "shrink": fp_half, "destroy": fp_clean}[kind]
        fp = fingerprint(box)
        stage = "untouched" if fp == start else "complete" if fp == end else "partial"
        tally.partial += stage == "partial"
        tally.log.append(f"#{i} {kind} kill at {delay:.3f}s: {'mid-run' if died else 'after exit'}"
                         f"{f' ({len(early)} earlier runs ended first)' if early else ''}, "
                         f"lab {stage}, {namespaces(box)} namespaces")

        # whatever the kill left is covered by the record: no conflicts, only changes
        plan = box.topo("plan", "-q", full, check=False)
        known_bug(plan)
        assert plan.returncode in (0, 2), f"{tally.log[-1]}\nplan after the kill:\n{plan.stdout}\n{plan.stderr}"
        # the kill released the lock (--no-wait would fail otherwise), and apply finishes the job
        again = box.topo("apply", "--no-wait", "-q", full, check=False)
        assert again.returncode == 0, f"{tally.log[-1]}\napply after the kill:\n{again.stdout}\n{again.stderr}"
        assert box.topo("plan", "-q", full, check=False).returncode == 0, tally.log[-1]
        box.topo("destroy", "-q", full)
        assert machine(box) == before, f"destroy did not restore the machine after {tally.log[-1]}"

    print("\n".join(tally.log))
    print(f"timings: apply {t_apply:.3f}s grow {t_grow:.3f}s shrink {t_shrink:.3f}s destroy {t_destroy:.3f}s; "
          f"{tally.kills} kills, {tally.mid_run} mid-run, {tally.kills - tally.mid_run} after exit "
          f"({tally.late} runs ended before their kill point and were tried again), "
          f"{tally.partial} left a partial lab")
    assert tally.kills == 20
    assert tally.mid_run >= 15, tally.log
    assert tally.partial >= 1, "no kill landed while namespaces were being made or removed"


def test_sigkill_during_destroy_then_destroy_again_restores(sandbox: Sandbox, tmp_path: Path) -> None:
    box = sandbox
    full, _ = lab_files(tmp_path)
    before = machine(box)
    t_destroy = 1e9
    for _ in range(2):
        box.topo("apply", "-q", full)
        t_destroy = min(t_destroy, timed(box, "destroy", "-q", full))
    rng = random.Random(SEED + 1)
    mid_run = 0
    log = []
    for i in range(6):
        died, delay, early = kill_within(box, ("destroy", full), t_destroy, rng,
                                         lambda attempt: box.topo("apply", "-q", full))
        t_destroy = min([t_destroy, *early])
        mid_run += died
        log.append(f"#{i} kill at {delay:.3f}s: {'mid-run' if died else 'after exit'}, {namespaces(box)} namespaces left")
        # by file, or by name as when the file is gone
        second = box.topo(*(("destroy", full) if i % 2 else ("destroy", "--lab", LAB)), check=False)
        known_bug(second)
        assert second.returncode == 0, f"{log[-1]}\n{second.stdout}\n{second.stderr}"
        now = machine(box)
        known_bug(now=now, before=before)
        assert now == before, f"second destroy did not restore the machine after {log[-1]}"
    print("\n".join(log))
    assert mid_run >= 4, log


# ---- SIGINT / SIGTERM --------------------------------------------------------------------------
def wait_for_handlers(pid: int) -> None:
    """Until topo has installed its own SIGTERM handler (it does so once it holds the lock,
    right before planning): /proc/PID/status lists caught signals as a bit mask."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return
        caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.0005)
    raise AssertionError("topo never installed its SIGTERM handler")


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_signal_during_apply_stops_at_a_boundary(sandbox: Sandbox, tmp_path: Path, signame: str) -> None:
    box = sandbox
    sig = signal.Signals[signame]
    full, _ = lab_files(tmp_path)
    before = machine(box)
    rng = random.Random(SEED + sig)
    stopped_mid = 0
    # the first signal lands as soon as the handler is there (during planning), the others
    # at random points of the run
    for i, extra in enumerate([0.0] + [rng.uniform(0.0, 0.2) for _ in range(2)]):
        proc = spawn(box, "apply", full)
        wait_for_handlers(proc.pid)
        time.sleep(extra)
        proc.signal(sig)
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err
        if i == 0:
            assert proc.returncode == 130, f"{proc.returncode}\n{out}\n{err}"
        assert proc.returncode in (0, 130), f"{proc.returncode}\n{out}\n{err}"
        if proc.returncode == 130:
            assert f"interrupted: stopped by {signame} after " in err, err
            assert "run the same command again" in err
            done = int(err.split(" after ")[1].split()[0])
            assert done < 302
            stopped_mid += done > 0
            # stopped at a boundary: what was made is recorded (no conflict), the rest is to do
            plan = box.topo("plan", "-q", full, check=False)
            assert plan.returncode == 2, f"{plan.stdout}\n{plan.stderr}"
        else:
            assert "Apply complete" in out
        box.topo("apply", "--no-wait", "-q", full)
        assert box.topo("plan", "-q", full, check=False).returncode == 0
        box.topo("destroy", "-q", full)
        assert machine(box) == before
    print(f"{signame}: {stopped_mid} of 3 stopped after some actions were done")


def test_sigterm_during_destroy_stops_and_destroy_again_finishes(sandbox: Sandbox, tmp_path: Path) -> None:
    box = sandbox
    full, _ = lab_files(tmp_path)
    before = machine(box)
    box.topo("apply", "-q", full)
    proc = spawn(box, "destroy", full)
    wait_for_handlers(proc.pid)
    proc.signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"{out}\n{err}"
    assert "interrupted: stopped by SIGTERM after 0 actions" in err and "Traceback" not in err
    assert box.topo("plan", "-q", full, check=False).returncode == 0, "nothing was removed yet"
    box.topo("destroy", "-q", full)
    assert machine(box) == before


# ---- SIGKILL at chosen system calls (strace fault injection) -------------------------------------
# (command, system call, n): topo gets SIGKILL as one of its threads enters its n-th call of that
# system call (strace counts per thread). For a 50-pod apply: 50 unshare (one per new
# namespace), ~260 sendto (netlink batches), ~53 fsync/rename (the record before and after, a
# hosts file per pod). Destroy deletes namespaces on up to 16 threads, each making an umount2
# (unpin), an unlink (/run/netns/NS) and an rmdir (/etc/netns/NS) per namespace: the 2nd call
# of any thread stops them all. A path counts only the calls on that path (strace -P).
KILL_POINTS = [
    ("apply", "unshare", 10, PODS, None),  # a namespace's file under /run/netns made, not pinned yet
    ("apply", "sendto", 60, PODS, None),  # amid the netlink batches
    ("apply", "fsync", 30, PODS, None),  # a hosts file written to its temporary file, not renamed yet
    ("apply", "renameat", 25, PODS, None),  # amid the hosts files (renamed relative to their directory)
    ("destroy", "umount2", 2, PODS, None),  # amid the namespace deletions
    ("destroy", "unlink", 1, 1, "/run/netns/pod-0"),  # the namespace unpinned, its file not removed yet
    ("destroy", "rmdir", 1, 1, "/etc/netns/pod-0"),  # the namespace gone, /etc/netns/pod-0 not removed yet
]


@pytest.mark.skipif(not Path("/usr/bin/strace").exists(), reason="needs strace (Debian package strace)")
@pytest.mark.parametrize("command,syscall,nth,pods,path", KILL_POINTS,
                         ids=[f"{c}-{s}-{n}-{p}pods" for c, s, n, p, _ in KILL_POINTS])
def test_sigkill_at_a_chosen_syscall(sandbox: Sandbox, tmp_path: Path, command: str, syscall: str, nth: int,
                                     pods: int, path: str | None) -> None:
    box = sandbox
    full = str(tmp_path / "lab.yaml")
    Path(full).write_text(pods_lab(pods, LAB))
    before = machine(box)
    if command == "destroy":
        box.topo("apply", "-q", full)
    start = fingerprint(box)
    res = box.run(["strace", "-f", "-qq", "-o", "/dev/null", *(["-P", path] if path else []), "-e", f"trace={syscall}",
                   "-e", f"inject={syscall}:signal=SIGKILL:when={nth}", TOPO, command, full], check=False)
    assert res.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), \
        f"topo was not killed at {syscall} #{nth} (exit {res.returncode}):\n{res.stdout}\n{res.stderr}"
    # (a namespace whose last user was the killed process goes away in the kernel's own time)
    deadline = time.monotonic() + 10
    while fingerprint(box) == start and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fingerprint(box) != start, "the kill should land after the run changed something"
    plan = box.topo("plan", "-q", full, check=False)
    known_bug(plan)
    assert plan.returncode in (0, 2), f"plan after the kill:\n{plan.stdout}\n{plan.stderr}"
    if command == "destroy":  # a second destroy finishes the job
        again = box.topo("destroy", "--no-wait", "-q", full, check=False)
        known_bug(again)
        assert again.returncode == 0, f"{again.stdout}\n{again.stderr}"
        now = machine(box)
        known_bug(now=now, before=before)
        assert now == before
        return
    again = box.topo("apply", "--no-wait", "-q", full, check=False)
    known_bug(again)
    assert again.returncode == 0, f"{again.stdout}\n{again.stderr}"
    assert box.topo("plan", "-q", full, check=False).returncode == 0
    box.topo("destroy", "-q", full)
    assert machine(box) == before
