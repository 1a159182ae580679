"""Temporary files beside a file topo writes carry the writer's pid and PID namespace: a run
removes only those of its own namespace whose writer is gone. Sandboxes (and containers)
share directories such as /etc while each has its own PIDs; a pid from another namespace
says nothing here (this once deleted a parallel sandbox's /etc/hosts temporary mid-write)."""

from __future__ import annotations

import os
from pathlib import Path

from provisioner.safefs import stale_temporaries, temporary_name


def test_only_this_namespaces_dead_writers_are_stale(tmp_path: Path) -> None:
    ns = str(os.stat("/proc/self/ns/pid").st_ino)
    dead = 2**22 + 12345  # above the largest pid the kernel hands out (pid_max <= 2^22)
    names = {"mine, alive": temporary_name("hosts"), "mine, dead": f".hosts.topo-{dead}-{ns}-abcd1234",
             "another namespace's": f".hosts.topo-{dead}-1-abcd1234", "older form, dead": f".hosts.topo-{dead}-abcd1234",
             "another file's": f".other.topo-{dead}-{ns}-abcd1234"}
    for name in names.values():
        (tmp_path / name).touch()
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        stale = set(stale_temporaries(fd, "hosts"))
    finally:
        os.close(fd)
    assert stale == {names["mine, dead"], names["older form, dead"]}
