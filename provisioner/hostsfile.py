"""Hosts files: a namespace's own file (/etc/netns/NS/hosts) and the lab's block in /etc/hosts.

Writes are atomic (temporary file in the same directory, fsync, rename). /etc/hosts is often
a bind mount (containers, our test sandbox) where rename fails with EBUSY; then the new
content is first written in full to a temporary file (so a full disk fails before the real
file is touched) and copied over in place. The user's lines outside topo's marked block are
kept byte for byte: files are read and written as bytes (line endings, bytes that are not
UTF-8 and a missing final newline stay as they are).
"""

from __future__ import annotations

import errno
import glob
import ipaddress
import os
import re
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


STANDARD_HOST_NAMES = frozenset(
    {"localhost", "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters"})
"""Names every hosts file has (the localhost lines): not a lab's entries."""

HostsEntries = dict[str, tuple[IPAddress, ...]]


def parse_entries(text: str) -> tuple[HostsEntries, list[tuple[int, str]]]:
    """A hosts file's entries, name -> addresses in file order, without the standard localhost
    names; and the (line number, first field) of lines whose first field is not an address."""
    out: dict[str, list[IPAddress]] = {}
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            ip = ipaddress.ip_address(fields[0].split("%", 1)[0])
        except ValueError:
            bad.append((number, fields[0]))
            continue
        for name in fields[1:]:
            if name in STANDARD_HOST_NAMES:
                continue
            addrs = out.setdefault(name, [])
            if ip not in addrs:
                addrs.append(ip)
    return {name: tuple(addrs) for name, addrs in out.items()}, bad


def read_node_entries() -> HostsEntries:
    """Every entry of the node's /etc/hosts, the user's lines and every lab's block."""
    try:
        return parse_entries(_read_exact(ETC_HOSTS))[0]
    except OSError:
        return {}


def render_netns_hosts(lab: str, hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    """A Kubernetes-style hosts file for a lab namespace."""
    return f"# Kubernetes-style hosts file managed by topo (lab {lab}); edits are reverted by apply.\n" + _LOCALHOST_LINES + "".join(_entries(hosts))


def render_block_body(hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    return "".join(_entries(hosts))


def begin_marker(lab: str, newline_added: bool = False) -> str:
    """`newline_added`: the user's file did not end with a newline; topo added one before the
    block and takes it away again with the block."""
    note = "; topo ended the line above" if newline_added else ""
    return f"# BEGIN topo lab {lab} (managed by topo; do not edit{note})\n"


def end_marker(lab: str) -> str:
    return f"# END topo lab {lab}\n"


def netns_hosts_path(ns: str) -> Path:
    return ETC_NETNS / ns / "hosts"


def _read_exact(path: Path) -> str:
    """A file's text, every byte kept: no newline translation, undecodable bytes escaped
    (write_atomic encodes them back)."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def read_netns_hosts(ns: str) -> str | None:
    try:
        return _read_exact(netns_hosts_path(ns))
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_atomic(path: Path, text: str, mode: int = 0o644, interim: str | None = None) -> None:
    """Replace `path` with `text` atomically; in place (after a full trial write) on a bind mount.
    `interim`: a valid content that both the old and the new text start with (for in place)."""
    data = text.encode("utf-8", "surrogateescape")
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.topo-{os.getpid()}-", dir=path.parent)
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
        _write_in_place(path, data, None if interim is None else interim.encode("utf-8", "surrogateescape"))
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files of `path` that a killed run left behind (their writer is gone)."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.topo-*"):
        pid = tmp.name[len(path.name) + 7 :].split("-", 1)[0]
        if not pid.isdigit() or not os.path.exists(f"/proc/{pid}"):
            tmp.unlink(missing_ok=True)


def _write_in_place(path: Path, data: bytes, interim: bytes | None = None) -> None:
    """Rewrite a file that cannot be replaced, so that a process killed between any two
    system calls leaves the old content, the new one or `interim`, never a mix: cutting to a
    prefix is one truncation, growing one write from the first changed byte, and shrinking
    goes through `interim` (a truncation, then one write)."""
    original = path.read_bytes()
    with path.open("r+b", buffering=0) as fh:
        fd = fh.fileno()
        try:
            if original.startswith(data):
                os.ftruncate(fd, len(data))
            elif len(data) >= len(original):
                _pwrite_all(fd, data, len(os.path.commonprefix([original, data])))
            elif interim is not None and original.startswith(interim) and data.startswith(interim):
                os.ftruncate(fd, len(interim))
                _pwrite_all(fd, data, len(interim))
            else:  # no safe order known: a kill between these two calls leaves old bytes at the end
                _pwrite_all(fd, data, len(os.path.commonprefix([original, data])))
                os.ftruncate(fd, len(data))
            os.fsync(fd)
        except OSError:  # put the old content back; it fitted before
            _pwrite_all(fd, original, 0)
            os.ftruncate(fd, len(original))
            os.fsync(fd)
            raise


def _pwrite_all(fd: int, data: bytes, start: int) -> None:
    """Write data[start:] at offset `start`."""
    view = memoryview(data)
    while start < len(data):
        start += os.pwrite(fd, view[start:], start)


def write_netns_hosts(ns: str, text: str) -> None:
    path = netns_hosts_path(ns)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def remove_netns_dir(ns: str) -> None:
    shutil.rmtree(ETC_NETNS / ns, ignore_errors=True)


def _split_block(text: str, lab: str) -> tuple[str, str | None, str, bool]:
    """(before, block body or None, after, newline added) for the lab's block in a hosts
    file's text."""
    for added in (False, True):
        begin, end = begin_marker(lab, added), end_marker(lab)
        start = text.find(begin)
        if start < 0 or (start > 0 and text[start - 1] != "\n"):
            continue
        stop = text.find(end, start + len(begin))
        if stop < 0:
            continue
        return text[:start], text[start + len(begin) : stop], text[stop + len(end) :], added
    return text, None, "", False


def read_managed_block(lab: str) -> str | None:
    try:
        text = _read_exact(ETC_HOSTS)
    except FileNotFoundError:
        return None
    return _split_block(text, lab)[1]


def set_managed_block(lab: str, body: str | None) -> None:
    """Write (or with None remove) the lab's block in /etc/hosts; all other bytes stay as they are."""
    try:
        text = _read_exact(ETC_HOSTS)
    except FileNotFoundError:
        text = ""
    before, old, after, added = _split_block(text, lab)
    if old is None:
        if body is None:
            return
        added = not (before == "" or before.endswith("\n"))
        new = before + ("\n" if added else "") + begin_marker(lab, added) + body + end_marker(lab)
    elif body is None:
        # the newline topo added goes with the block, or passes to another lab's block right
        # after it; it stays when the user has written lines after the block
        nxt = re.match(r"# BEGIN topo lab (\S+) \(managed by topo; do not edit\)\n", after) if added else None
        if nxt:
            after = begin_marker(nxt.group(1), True) + after[nxt.end():]
        new = (before[:-1] if added and after == "" else before) + after
    else:
        new = before + begin_marker(lab, added) + body + end_marker(lab) + after
    if new != text:
        # rewritten in place (a bind mount), a last block is changed through the file without it
        write_atomic(ETC_HOSTS, new, interim=(before[:-1] if added else before) if after == "" else None)
