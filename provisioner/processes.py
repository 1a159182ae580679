"""Processes in lab namespaces: start, find and stop the lab's long-running commands.

Each process topo starts is recorded in /var/lib/topo/procs/LAB/NS.NAME.json (pid, the
kernel's start time of that pid, the command), written atomically after the start; its
output goes to /var/lib/topo/logs/LAB/NS.NAME.log (mode 0600 in a 0700 directory: only root
reads it). A record names a live process only while a process with that pid *and* that start
time exists, so a reused pid (after a reboot, or much later) is never mistaken for ours and
never signalled.

A process runs as root, or as its `user` (that user's uid, gid, supplementary groups and
home directory on the node, taken after `ip netns exec` has entered the namespace), with a
clean environment: `CLEAN_PATH`, HOME, LANG and LC_ALL (C.UTF-8), then its own `env`;
nothing of topo's environment is passed on.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import state
from .hostsfile import write_atomic
from .names import inside, namespace_name_problem, process_name_problem
from .model import Process
from .roots import Roots

STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
START_SETTLE = 0.3  # seconds a started process must keep running for its start to count
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCALE = "C.UTF-8"

# run inside the namespace as root by `ip netns exec`: become the user, then exec the command
# (the same pid throughout: the record's pid and start time stay the process's own). Nothing
# is imported once the ids are dropped: the user may not be able to read Python's library.
_AS_USER = (
    "import os, sys\n"
    "uid, gid, groups = int(sys.argv[1]), int(sys.argv[2]), [int(g) for g in sys.argv[3].split(',') if g]\n"
    "os.setgroups(groups); os.setgid(gid); os.setuid(uid)\n"
    "os.execv(sys.argv[4], sys.argv[4:])\n"
)


@dataclass(frozen=True)
class RunAs:
    """Who a process runs as, from the node's user database."""

    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def run_as(user: str | None) -> RunAs:
    """The user's ids and home on this node (root without `user`); KeyError when it has no such user."""
    if user is None:
        try:
            entry = pwd.getpwuid(0)
        except KeyError:  # a machine without root in its user database
            return RunAs(0, 0, (), "/root")
    else:
        entry = pwd.getpwnam(user)
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return RunAs(entry.pw_uid, entry.pw_gid, groups, entry.pw_dir or "/")


def user_missing(user: str | None) -> str | None:
    """Why a process cannot run as `user` on this node (plan reports it before any change)."""
    if user is None:
        return None
    try:
        run_as(user)
    except KeyError:
        return f"user {user} does not exist on this node"
    return None


def environment(proc: Process, who: RunAs) -> dict[str, str]:
    """The process's whole environment: the clean base, then what the file declares."""
    return {"PATH": CLEAN_PATH, "HOME": who.home, "LANG": LOCALE, "LC_ALL": LOCALE, **dict(proc.env)}


@dataclass(frozen=True)
class ProcessRecord:
    netns: str
    name: str
    command: str
    env: list[list[str]]
    pid: int
    start_time: int  # /proc/PID/stat field 22: tells this process from a later one with its pid
    user: str | None = None  # None: root (also in records written before processes had users)


@dataclass(frozen=True)
class LiveProcess:
    record: ProcessRecord
    alive: bool  # the recorded process still runs
    in_place: bool  # ... inside the namespace of that name as it is now (not an older one)


def procs_dir(roots: Roots, lab: str) -> Path:
    return inside(roots.state / "procs", state.check_lab_name(lab))


def logs_dir(roots: Roots, lab: str) -> Path:
    return inside(roots.state / "logs", state.check_lab_name(lab))


def _file_name(netns: str, name: str, suffix: str) -> str:
    if (err := namespace_name_problem(netns)) or (err := process_name_problem(name)):
        raise ValueError(err)
    return f"{netns}.{name}{suffix}"


def log_path(roots: Roots, lab: str, netns: str, name: str) -> Path:
    return inside(logs_dir(roots, lab), _file_name(netns, name, ".log"))


def _record_path(roots: Roots, lab: str, netns: str, name: str) -> Path:
    return inside(procs_dir(roots, lab), _file_name(netns, name, ".json"))


def config_path(roots: Roots, lab: str, netns: str, name: str) -> Path:
    """Where a process's `config` is written (topo's own root, 0600); TOPO_CONFIG names it."""
    return inside(procs_dir(roots, lab), _file_name(netns, name, ".conf"))


def _start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": field 3 (state) onwards
    if fields[0] in ("Z", "X"):
        return None  # exited, not yet reaped: not running
    return int(fields[19])


def _alive(rec: ProcessRecord) -> bool:
    return _start_time(rec.pid) == rec.start_time


def read_processes(roots: Roots, lab: str, netns_inodes: dict[str, int | None]) -> dict[tuple[str, str], LiveProcess]:
    """The lab's recorded processes, and whether each still runs in its namespace."""
    out: dict[tuple[str, str], LiveProcess] = {}
    try:
        files = sorted(procs_dir(roots, lab).glob("*.json"))
    except FileNotFoundError:
        return out
    for path in files:
        try:
            rec = ProcessRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue  # a torn or foreign file: not a process of ours
        alive = _alive(rec)
        in_place = False
        if alive:
            try:
                in_place = os.stat(f"/proc/{rec.pid}/ns/net").st_ino == netns_inodes.get(rec.netns)
            except OSError:
                in_place = False
        out[(rec.netns, rec.name)] = LiveProcess(rec, alive, in_place)
    return out


def start(roots: Roots, lab: str, netns: str, proc: Process) -> ProcessRecord:
    """Start `proc` inside `netns` (with its hosts file, as `ip netns exec` gives), detached."""
    try:
        who = run_as(proc.user)
    except KeyError:
        raise OSError(errno.ENOENT, f"process {proc.name}: {user_missing(proc.user)}") from None
    log = log_path(roots, lab, netns, proc.name)
    _private_dir(log.parent)
    env = environment(proc, who)
    if proc.config is not None:
        conf = config_path(roots, lab, netns, proc.name)
        _private_dir(conf.parent)
        write_atomic(conf, proc.config, mode=0o600)
        env["TOPO_CONFIG"] = str(conf)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with open(fd, "ab") as out:
        os.fchmod(fd, 0o600)  # also a log an older topo left readable
        child = subprocess.Popen(_argv(netns, proc, who), stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True, env=env,
                                 close_fds=True)
    started = _start_time(child.pid)
    _wait_entered(child, roots.netns_run, netns)
    rec = ProcessRecord(netns, proc.name, proc.command, [list(e) for e in proc.env], child.pid, started or 0, proc.user)
    path = _record_path(roots, lab, netns, proc.name)
    _private_dir(path.parent)
    write_atomic(path, json.dumps(asdict(rec)) + "\n", mode=0o600)
    # reap it in the background if it exits while topo still runs (no zombie for the verifier)
    _reap_later(child)
    return rec


def _argv(netns: str, proc: Process, who: RunAs) -> list[str]:
    """`ip netns exec NS sh -c COMMAND`, as the process's user when it has one. Programs topo
    itself runs are found on the clean PATH, whatever PATH the file's `env` gives."""
    ip = shutil.which("ip", path=CLEAN_PATH) or "ip"
    shell = ["sh", "-c", proc.command]
    if proc.user is None:
        return [ip, "netns", "exec", netns, *shell]
    ids = [str(who.uid), str(who.gid), ",".join(map(str, who.groups))]
    sh = shutil.which("sh", path=CLEAN_PATH) or "/bin/sh"
    return [ip, "netns", "exec", netns, sys.executable, "-I", "-c", _AS_USER, *ids, sh, *shell[1:]]


def _private_dir(path: Path) -> None:
    """`path` and its parent (logs/ or procs/) as directories only root can enter."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for d in (path.parent, path):
        os.chmod(d, 0o700)


def _wait_entered(child: subprocess.Popen[bytes], netns_run: Path, netns: str, timeout: float = 2.0) -> None:
    """Until `ip netns exec` has moved the child into the namespace (or it ended): what is
    read right after the start (the verification) then sees it where it belongs."""
    from .netns import netns_inode

    want = netns_inode(netns_run, netns)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if os.stat(f"/proc/{child.pid}/ns/net").st_ino == want:
                return
        except OSError:
            return
        time.sleep(0.002)


def _reap_later(child: subprocess.Popen[bytes]) -> None:
    import threading

    threading.Thread(target=child.wait, daemon=True).start()


def stop(roots: Roots, lab: str, netns: str, name: str) -> None:
    """Stop the recorded process as a unit: every process of the session it leads (what its
    `sh` started too, even once the recorded pid itself is gone), then forget it."""
    path = _record_path(roots, lab, netns, name)
    try:
        rec = ProcessRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        path.unlink(missing_ok=True)
        config_path(roots, lab, netns, name).unlink(missing_ok=True)
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):  # politely first
        members = session_members(rec)
        if not members:
            break
        for pid in members:
            _signal(pid, sig)
        deadline = time.monotonic() + STOP_GRACE
        while session_members(rec) and time.monotonic() < deadline:
            time.sleep(0.02)
    path.unlink(missing_ok=True)
    config_path(roots, lab, netns, name).unlink(missing_ok=True)


def session_members(rec: ProcessRecord) -> list[int]:
    """The processes of the session the recorded process leads (sid = its pid), started no
    earlier than it (a reused pid's session is another's) and outside the node's own network
    namespace (a forged or stale record never reaches the node's processes): it and everything
    it started that did not leave the session."""
    out = []
    if not isinstance(rec.pid, int) or not isinstance(rec.start_time, int) or rec.pid <= 1:
        return out  # not a record topo wrote
    own = os.stat("/proc/self/ns/net").st_ino  # the node's namespace: a lab's process never runs here
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X") or int(fields[3]) != rec.pid or int(fields[19]) < rec.start_time:
                continue
            if os.stat(f"{entry.path}/ns/net").st_ino == own:
                continue  # started by `ip netns exec`, it is in a lab namespace: this one is not the lab's
        except (OSError, ValueError, IndexError):
            continue
        out.append(int(entry.name))
    return out


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def exited_at_once(roots: Roots, lab: str, netns: str, name: str, pid: int, settle: float = START_SETTLE) -> str | None:
    """Why a just started process is no longer running `settle` seconds later (its status and
    its log's last lines), or None while it runs."""
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        if _start_time(pid) is None:
            break
        time.sleep(0.02)
    else:
        return None
    try:
        tail = log_path(roots, lab, netns, name).read_bytes()[-2000:].decode(errors="replace").strip().splitlines()[-5:]
    except OSError:
        tail = []
    return f"process {name} exited right after it started" + (": " + " | ".join(tail) if tail else " (no output)")


def forget_lab(roots: Roots, lab: str) -> None:
    """After destroy: the lab's process records (each stopped already) and logs go, and their
    directories if nothing else is in them. Only files of the names topo gives them are
    removed, never through a symbolic link, never a directory tree."""
    for directory, suffix in ((procs_dir(roots, lab), ".json"), (logs_dir(roots, lab), ".log")):
        _remove_own_files(directory, suffix)


def _remove_own_files(directory: Path, suffix: str) -> None:
    import re
    import stat as st

    own = re.compile(r"[^/]+\.[A-Za-z0-9][A-Za-z0-9_.-]{0,63}" + re.escape(suffix))
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link in place of the directory: not ours to follow
            return
        raise
    try:
        for entry in os.listdir(fd):
            if own.fullmatch(entry) and st.S_ISREG(os.stat(entry, dir_fd=fd, follow_symlinks=False).st_mode):
                os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    try:
        os.rmdir(directory)
    except OSError:
        pass  # not empty: what is left is not topo's
