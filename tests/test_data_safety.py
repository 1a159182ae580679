"""Hosts files are never truncated or lost: not when the disk is full (tiny tmpfs mounts over
/etc/netns and under /etc/hosts), not when topo is killed while writing them. The user's own
lines in /etc/hosts survive byte for byte, and the lab's block is there whole or not at all.

Each test first overlays the sandbox's /etc with a private tmpfs layer, so nothing topo
writes next to /etc/hosts (its temporary files) ever reaches the machine's real /etc, then
bind-mounts /etc/hosts from a tmpfs of the size the test wants and mounts another over
/etc/netns. /etc/hosts is a bind mount, as in containers: topo rewrites it in place.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox import TOPO, Sandbox
from test_interrupt import Run, spawn  # topo's own process in the sandbox, and a pidfd on it

pytestmark = pytest.mark.kernel

MNT = "/run/topo/test-etc"  # inside the sandbox's private /run/topo tmpfs
USER_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "# a user's own lines: odd spacing, a comment, non-ASCII, CRLF, a foreign marker\n"
    "192.0.2.99   users-own-host\t\tusers-alias   # ünïcode comment\n"
    "192.0.2.98\tcrlf-host\r\n"
    "# BEGIN topo lab someone-else\n"
    "\n"
    "198.51.100.7\tlast-user-line\n"
).encode()

SETUP = r"""
set -eu
D={mnt}
mkdir -p $D
mount -t tmpfs -o size=32m,mode=755 test-etc $D
mkdir $D/upper $D/work $D/keep $D/hostsfs
cp /etc/resolv.conf $D/keep/resolv.conf
mount -t overlay test-etc -o lowerdir=/etc,upperdir=$D/upper,workdir=$D/work /etc
mount -t tmpfs -o size={hosts_size},mode=755 test-hosts $D/hostsfs
: > $D/hostsfs/hosts
mount --bind $D/hostsfs/hosts /etc/hosts
mount --bind $D/keep/resolv.conf /etc/resolv.conf
mount -t tmpfs -o size={netns_size},mode=755 test-netns /etc/netns
"""


def private_etc(box: Sandbox, hosts_size: str, netns_size: str, user_hosts: bytes = USER_HOSTS) -> None:
    """/etc overlaid by a tmpfs layer; /etc/hosts (holding `user_hosts`) on a tmpfs of
    `hosts_size`, /etc/netns a tmpfs of `netns_size`."""
    box.run(["sh", "-c", SETUP.format(mnt=MNT, hosts_size=hosts_size, netns_size=netns_size)])
    Files(box).root.joinpath("etc/hosts").write_bytes(user_hosts)
    assert Files(box).hosts() == user_hosts
    assert box.run(["findmnt", "-n", "-o", "FSTYPE", "/etc/netns"]).stdout.split()[-1] == "tmpfs"


def hosts_lab(n: int, version: int, root: int, per_ns: int = 4, name: str = "hostsafe") -> str:
    """`n` namespaces with a hosts file of `per_ns` names each, and `root` names in the node's
    /etc/hosts block; `version` changes every address."""
    out = [f"name: {name}", "hosts:"]
    out += [f"  node-{j}.example.test: 10.{version}.{200 + j // 250}.{j % 250 + 1}" for j in range(root)]
    out.append("namespaces:")
    for i in range(n):
        out.append(f"  hs-{i}:\n    hosts:")
        out += [f"      peer-{j}.hs-{i}: 10.{version}.{i // 250}.{i % 250 + 1}" for j in range(per_ns)]
    return "\n".join(out) + "\n"


class Files:
    """The sandbox's hosts files as the test process sees them, through the holder's root."""

    def __init__(self, box: Sandbox):
        self.root = Path(f"/proc/{box.pid}/root")

    def hosts(self) -> bytes:
        return (self.root / "etc/hosts").read_bytes()

    def netns(self, n: int) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for i in range(n):
            try:
                out[f"hs-{i}"] = (self.root / f"etc/netns/hs-{i}/hosts").read_bytes()
            except FileNotFoundError:
                out[f"hs-{i}"] = None
        return out

    def strays(self) -> list[str]:
        """topo's temporary files (.NAME.topo-XXXX) left in /etc or /etc/netns/*/."""
        found = [str(p) for p in (self.root / "etc").glob(".*.topo-*")]
        found += [str(p) for p in (self.root / "etc/netns").glob("*/.*.topo-*")]
        return found

    def progress(self, n: int) -> tuple[Any, ...]:
        """Changes when the first or the last of `n` namespaces' hosts files (in the order
        topo writes them: by name) is created, replaced or removed. Cheap, so that watching
        a run does not slow it down."""
        out = []
        for ns in (f"hs-{min(range(n), key=str)}", f"hs-{max(range(n), key=str)}"):
            try:
                out.append((self.root / f"etc/netns/{ns}/hosts").stat().st_ino)
            except FileNotFoundError:
                out.append(None)
        return tuple(out)


def machine(box: Sandbox) -> dict[str, Any]:
    snap = box.snapshot()
    snap["files"] = box.run(["find", "/var/lib/topo", "/etc/netns", "-type", "f"]).stdout
    snap["etc_upper"] = box.run(["find", f"{MNT}/upper"]).stdout  # what topo left in /etc
    return snap


def failed_cleanly(res: subprocess.CompletedProcess[str], *what: str) -> None:
    assert res.returncode == 1, f"{res.returncode}\n{res.stdout}\n{res.stderr}"
    assert "No space left on device" in res.stderr, res.stderr
    for w in what:
        assert w in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr


# ---- full disk ---------------------------------------------------------------------------------
def test_full_etc_netns_fails_cleanly_and_loses_no_file(sandbox: Sandbox, tmp_path: Path) -> None:
    box = sandbox
    private_etc(box, hosts_size="1m", netns_size="64k")
    files = Files(box)
    before = machine(box)
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(hosts_lab(4, 1, root=10))
    v2.write_text(hosts_lab(12, 2, root=10))
    # the complete contents of both versions
    box.topo("apply", str(v1))
    ref1, hosts1 = files.netns(12), files.hosts()
    box.topo("apply", str(v2))
    ref2, hosts2 = files.netns(12), files.hosts()
    box.topo("destroy", str(v2))
    assert machine(box) == before
    assert hosts1.startswith(USER_HOSTS) and hosts2.startswith(USER_HOSTS)

    box.topo("apply", str(v1))
    # fill /etc/netns up to its last free page
    box.run(["sh", "-c", "dd if=/dev/zero of=/etc/netns/filler bs=4k 2>/dev/null; "
                         "test $(stat -c %s /etc/netns/filler) -gt 0 && truncate -s -4096 /etc/netns/filler"])
    assert int(box.run(["stat", "-f", "-c", "%a", "/etc/netns"]).stdout) == 1  # one free block
    res = box.topo("apply", str(v2), check=False)
    failed_cleanly(res, "write-hosts hosts file /etc/netns/hs-")
    now = files.netns(12)
    for ns, content in now.items():
        allowed = [ref2[ns]] + ([ref1[ns]] if ref1[ns] is not None else [None])
        assert content in allowed, f"{ns}: {content!r}"
    assert all(now[f"hs-{i}"] is not None for i in range(4)), "an existing hosts file was lost"
    assert any(now[ns] is None for ns in now), "the disk was not full after all"
    assert files.hosts() in (hosts1, hosts2)
    assert files.strays() == []
    # what was written is recorded: a plan shows the rest, no conflict
    assert box.topo("plan", str(v2), check=False).returncode == 2

    box.run(["rm", "/etc/netns/filler"])
    box.topo("apply", str(v2))
    assert box.topo("plan", str(v2), check=False).returncode == 0
    assert files.netns(12) == ref2 and files.hosts() == hosts2
    box.topo("destroy", str(v2))
    assert machine(box) == before
    assert files.hosts() == USER_HOSTS


def test_full_disk_under_etc_hosts_keeps_it_byte_for_byte(sandbox: Sandbox, tmp_path: Path) -> None:
    box = sandbox
    private_etc(box, hosts_size="16k", netns_size="4m")  # four pages: the file and three more
    files = Files(box)
    before = machine(box)
    small, big = tmp_path / "small.yaml", tmp_path / "big.yaml"
    small.write_text(hosts_lab(2, 1, root=10))
    big.write_text(hosts_lab(2, 2, root=300))  # a block of ~9 KB: needs pages that are not there
    box.topo("apply", str(small))
    with_small = files.hosts()
    assert len(with_small) < 4096 and with_small.startswith(USER_HOSTS)
    box.run(["sh", "-c", f"dd if=/dev/zero of={MNT}/hostsfs/filler bs=4k 2>/dev/null; true"])
    assert int(box.run(["stat", "-f", "-c", "%a", f"{MNT}/hostsfs"]).stdout) == 0

    # changing the block: fails, /etc/hosts is exactly as it was (user's lines + the old block)
    res = box.topo("apply", str(big), check=False)
    failed_cleanly(res, "/etc/hosts block of lab hostsafe")
    assert files.hosts() == with_small
    assert files.strays() == []
    # the same from a machine without the block: /etc/hosts is exactly the user's file
    box.topo("destroy", str(small))
    assert files.hosts() == USER_HOSTS
    res = box.topo("apply", str(big), check=False)
    failed_cleanly(res, "/etc/hosts block of lab hostsafe")
    assert files.hosts() == USER_HOSTS
    assert files.strays() == []

    box.run(["rm", f"{MNT}/hostsfs/filler"])
    box.topo("apply", str(big))
    assert box.topo("plan", str(big), check=False).returncode == 0
    grown = files.hosts()
    assert grown.startswith(USER_HOSTS) and len(grown) > 8192 // 2
    box.topo("destroy", str(big))
    assert files.hosts() == USER_HOSTS
    assert machine(box) == before


@pytest.mark.parametrize("user_hosts", [
    b"127.0.0.1\tlocalhost\n10.1.1.1\tno-newline-at-the-end",
    b"",
    b"# only a comment\r\n",
    b"127.0.0.1\tlocalhost\n# caf\xe9 (Latin-1, not UTF-8)\n10.1.1.2\tlatin\xb5host\n",
], ids=["no-final-newline", "empty", "crlf", "latin-1"])
def test_odd_user_files_survive_apply_and_destroy_byte_for_byte(sandbox: Sandbox, tmp_path: Path,
                                                                user_hosts: bytes) -> None:
    box = sandbox
    private_etc(box, hosts_size="1m", netns_size="1m", user_hosts=user_hosts)
    files = Files(box)
    lab = tmp_path / "lab.yaml"
    lab.write_text(hosts_lab(1, 1, root=3))
    other = tmp_path / "other.yaml"
    # its root names are its own: a name another lab already answers otherwise is a conflict
    other.write_text(hosts_lab(1, 3, root=2, name="other").replace("hs-0", "hs-other").replace("node-", "other-node-"))
    box.topo("apply", str(lab))
    box.topo("apply", str(other))
    text = files.hosts()
    assert text.startswith(user_hosts), text
    assert box.run(["getent", "hosts", "node-2.example.test"]).stdout.split()[0] == "10.1.200.3"
    assert box.run(["getent", "hosts", "node-1.example.test"]).stdout.split()[0] == "10.1.200.2"
    lab.write_text(hosts_lab(1, 2, root=3))  # change the first block
    box.topo("apply", str(lab))
    assert files.hosts().startswith(user_hosts)
    box.topo("destroy", str(lab))
    box.topo("destroy", str(other))
    assert files.hosts() == user_hosts


# ---- SIGKILL while writing ---------------------------------------------------------------------
N_KILL = 120  # namespaces with a hosts file each


def watch(files: Files, run: Run, start: tuple[Any, ...]) -> tuple[float, float, float]:
    """Follow a run without killing it: (first file change, last file change, end), in
    seconds from its start."""
    t0 = time.monotonic()
    first = last = None
    seen = start
    while run.proc.poll() is None:
        now = files.progress(N_KILL)
        if now != seen:
            t = time.monotonic() - t0
            first = t if first is None else first
            last, seen = t, now
        time.sleep(0.001)
    end = time.monotonic() - t0
    run.communicate()
    assert run.returncode == 0 and first is not None and last is not None
    return first, last, end


def test_sigkill_while_writing_hosts_files_leaves_old_or_new_content(sandbox: Sandbox, tmp_path: Path) -> None:
    """120 namespaces with a hosts file each and a 150-name block in /etc/hosts; topo is
    killed while it creates the files, rewrites them with new addresses, or removes them
    (destroy). Each file is then absent, the old or the new content, never empty or partial."""
    box = sandbox
    private_etc(box, hosts_size="4m", netns_size="16m")
    files = Files(box)
    before = machine(box)
    user = USER_HOSTS
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(hosts_lab(N_KILL, 1, root=150, per_ns=30))
    v2.write_text(hosts_lab(N_KILL, 2, root=150, per_ns=30))
    no_files = {f"hs-{i}": None for i in range(N_KILL)}

    def without_files() -> None:
        """The lab's namespaces stay; their hosts files and the /etc/hosts block go (drift)."""
        box.run(["sh", "-c", "rm /etc/netns/hs-*/hosts"])
        (files.root / "etc/hosts").write_bytes(user)

    # reference contents, and when (from its start) each kind of run changes the files
    box.topo("apply", "-q", str(v1))
    ref1 = (files.netns(N_KILL), files.hosts())
    without_files()
    window = {"create": watch(files, spawn(box, "apply", str(v1)), files.progress(N_KILL))}
    assert (files.netns(N_KILL), files.hosts()) == ref1
    window["update"] = watch(files, spawn(box, "apply", str(v2)), files.progress(N_KILL))
    ref2 = (files.netns(N_KILL), files.hosts())
    window["destroy"] = watch(files, spawn(box, "destroy", str(v2)), files.progress(N_KILL))
    assert (files.netns(N_KILL), files.hosts()) == (no_files, user)
    assert machine(box) == before
    assert ref1[1].startswith(user) and ref2[1].startswith(user) and ref1[1] != ref2[1]
    assert all(ref1[0][ns] != ref2[0][ns] for ns in ref1[0])

    # kind: (command, old contents, new contents, the run that finishes the job)
    kinds = {
        "create": (("apply", str(v1)), (no_files, user), ref1, ("apply", str(v1))),
        "update": (("apply", str(v2)), ref1, ref2, ("apply", str(v2))),
        "destroy": (("destroy", str(v2)), ref2, (no_files, user), ("apply", str(v1))),
    }
    box.topo("apply", "-q", str(v1))
    rng = random.Random(7)
    landed = {"before the files": 0, "amid the files": 0, "after the files": 0}
    died = 0
    log = []
    for i in range(18):
        kind = ("create", "update", "destroy")[i % 3]  # each starts where the previous one left off
        argv, old, new, finish = kinds[kind]
        if kind == "create":
            without_files()
        first, last, end = window[kind]
        start = files.progress(N_KILL)
        proc = spawn(box, *argv)
        t0 = time.monotonic()
        if i % 2:  # anywhere in the run
            delay = rng.uniform(0.0, end)
            time.sleep(delay)
        else:  # amid the files: as soon as the first one changed, plus up to their writing time
            while files.progress(N_KILL) == start and proc.proc.poll() is None and time.monotonic() - t0 < 60:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0.0, last - first))
            delay = time.monotonic() - t0
        proc.signal(signal.SIGKILL)  # topo's python itself, through a pidfd
        proc.communicate(timeout=60)
        mid_run = proc.returncode == -signal.SIGKILL
        died += mid_run

        netns, hosts = files.netns(N_KILL), files.hosts()
        for ns, content in netns.items():
            assert content in (old[0][ns], new[0][ns]), f"kill #{i} ({kind}): {ns} has {content!r}"
        assert hosts.startswith(user), f"kill #{i} ({kind}): the user's lines changed"
        assert hosts in (old[1], new[1]), f"kill #{i} ({kind}): /etc/hosts block is partial:\n{hosts!r}"
        n_new = sum(netns[ns] == new[0][ns] for ns in netns)
        where = "before the files" if n_new == 0 else "after the files" if n_new == N_KILL else "amid the files"
        landed[where] += 1
        log.append(f"#{i} {kind} kill at {delay:.3f}s: {'mid-run' if mid_run else 'after exit'}, {n_new}/{N_KILL} "
                   f"files new, /etc/hosts {'new' if hosts == new[1] else 'old'}, {len(files.strays())} temporary files")

        again = box.topo(*finish, check=False)
        assert again.returncode == 0, f"kill #{i} ({kind}):\n{again.stdout}\n{again.stderr}"
        expect = ref2 if finish[1] == str(v2) else ref1
        assert (files.netns(N_KILL), files.hosts()) == expect, f"kill #{i} ({kind}): the next apply did not repair"
        assert files.strays() == [], "the next write removes what the killed one left behind"
    box.topo("destroy", str(v1))
    print("\n".join(log))
    print(f"{died} of 18 kills landed mid-run; {landed}; windows (first change, last change, end): {window}")
    assert files.hosts() == user
    assert machine(box) == before


# ---- SIGKILL at chosen system calls (strace fault injection) ---------------------------------
needs_strace = pytest.mark.skipif(not Path("/usr/bin/strace").exists(), reason="needs strace (Debian package strace)")


@needs_strace
@pytest.mark.parametrize("syscall", ["ftruncate", "pwrite64", "fsync"])
def test_sigkill_amid_an_in_place_rewrite_of_etc_hosts(sandbox: Sandbox, tmp_path: Path, syscall: str) -> None:
    """/etc/hosts is a bind mount here, so a smaller block is written in place: topo is killed
    as it enters each system call on /etc/hosts (strace -P counts only those). Whatever the
    point, the file holds the old block, the new one, or none; never a mix (before the fix: a
    kill between the write of the new bytes and the truncation left the old block's tail)."""
    box = sandbox
    private_etc(box, hosts_size="1m", netns_size="1m")
    files = Files(box)
    before = machine(box)
    long, short = tmp_path / "long.yaml", tmp_path / "short.yaml"
    long.write_text(hosts_lab(1, 1, root=60))
    short.write_text(hosts_lab(1, 2, root=5))  # the block shrinks
    box.topo("apply", str(short))
    ref_short = files.hosts()
    box.topo("apply", str(long))
    ref_long = files.hosts()
    res = box.run(["strace", "-f", "-qq", "-o", "/dev/null", "-P", "/etc/hosts", "-e", f"trace={syscall}",
                   "-e", f"inject={syscall}:signal=SIGKILL:when=1", TOPO, "apply", str(short)], check=False)
    assert res.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), \
        f"topo was not killed at {syscall} on /etc/hosts (exit {res.returncode}):\n{res.stdout}\n{res.stderr}"
    assert files.hosts() in (ref_long, ref_short, USER_HOSTS), f"/etc/hosts after the kill:\n{files.hosts()!r}"
    box.topo("apply", str(short))
    assert files.hosts() == ref_short
    box.topo("destroy", str(short))
    assert files.hosts() == USER_HOSTS
    assert machine(box) == before, "destroy leaves nothing behind (a temporary file the kill left goes with the next write)"
