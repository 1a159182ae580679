"""Hosts files: a namespace's own file (/etc/netns/NS/hosts) and the lab's block in /etc/hosts.

Writes are atomic (temporary file in the same directory, fsync, rename). /etc/hosts is often
a bind mount (containers, our test sandbox) where rename fails with EBUSY; then the new
content is first written in full to a temporary file (so a full disk fails before the real
file is touched) and copied over in place. The user's lines outside topo's marked block are
kept byte for byte.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from .model import IPAddress

ETC_NETNS = Path(os.environ.get("TOPO_ETC_NETNS", "/etc/netns"))
ETC_HOSTS = Path(os.environ.get("TOPO_ETC_HOSTS", "/etc/hosts"))

_LOCALHOST_LINES = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def _entries(hosts: dict[str, tuple[IPAddress, ...]]) -> Iterable[str]:
    for name in sorted(hosts):
        for addr in hosts[name]:
            yield f"{addr}\t{name}\n"


def render_netns_hosts(lab: str, hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    """A Kubernetes-style hosts file for a lab namespace."""
    return f"# Kubernetes-style hosts file managed by topo (lab {lab}); edits are reverted by apply.\n" + _LOCALHOST_LINES + "".join(_entries(hosts))


def render_block_body(hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    return "".join(_entries(hosts))


def begin_marker(lab: str) -> str:
    return f"# BEGIN topo lab {lab} (managed by topo; do not edit)\n"


def end_marker(lab: str) -> str:
    return f"# END topo lab {lab}\n"


def netns_hosts_path(ns: str) -> Path:
    return ETC_NETNS / ns / "hosts"


def read_netns_hosts(ns: str) -> str | None:
    try:
        return netns_hosts_path(ns).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` atomically; in place (after a full trial write) on a bind mount."""
    data = text.encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.topo-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        try:
            os.rename(tmp, path)
            tmp = ""
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM):
                raise
        _write_in_place(path, data)
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _write_in_place(path: Path, data: bytes) -> None:
    original = path.read_bytes()
    try:
        with path.open("r+b") as fh:
            fh.write(data)
            fh.truncate(len(data))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        with path.open("r+b") as fh:  # put the old content back; it fitted before
            fh.write(original)
            fh.truncate(len(original))
            fh.flush()
            os.fsync(fh.fileno())
        raise


def write_netns_hosts(ns: str, text: str) -> None:
    path = netns_hosts_path(ns)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def remove_netns_dir(ns: str) -> None:
    shutil.rmtree(ETC_NETNS / ns, ignore_errors=True)


def _split_block(text: str, lab: str) -> tuple[str, str | None, str]:
    """(before, block body or None, after) for the lab's block in a hosts file's text."""
    begin, end = begin_marker(lab), end_marker(lab)
    start = text.find(begin)
    if start < 0 or (start > 0 and text[start - 1] != "\n"):
        return text, None, ""
    stop = text.find(end, start + len(begin))
    if stop < 0:
        return text, None, ""
    return text[:start], text[start + len(begin) : stop], text[stop + len(end) :]


def read_managed_block(lab: str) -> str | None:
    try:
        text = ETC_HOSTS.read_text()
    except FileNotFoundError:
        return None
    return _split_block(text, lab)[1]


def set_managed_block(lab: str, body: str | None) -> None:
    """Write (or with None remove) the lab's block in /etc/hosts; all other bytes stay as they are."""
    try:
        text = ETC_HOSTS.read_text()
    except FileNotFoundError:
        text = ""
    before, old, after = _split_block(text, lab)
    if old is None:
        if body is None:
            return
        sep = "" if before == "" or before.endswith("\n") else "\n"
        new = before + sep + begin_marker(lab) + body + end_marker(lab)
    elif body is None:
        new = before + after
    else:
        new = before + begin_marker(lab) + body + end_marker(lab) + after
    if new != text:
        write_atomic(ETC_HOSTS, new)
