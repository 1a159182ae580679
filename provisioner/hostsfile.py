"""Hosts files: a namespace's own file (/etc/netns/NS/hosts) and the lab's block in /etc/hosts.

Writes are atomic (temporary file in the same directory, fsync, rename). /etc/hosts is often
a bind mount (containers, our test sandbox) where rename fails with EBUSY; then the new
content is first written in full to a temporary file (so a full disk fails before the real
file is touched) and copied over in place. The user's lines outside topo's marked block are
kept byte for byte: files are read and written as bytes (line endings, bytes that are not
UTF-8 and a missing final newline stay as they are).

Each function takes the root it works under: `etc_hosts` (the node's /etc/hosts) or
`etc_netns` (/etc/netns), from the caller's Roots (roots.py).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
from pathlib import Path

from .diagnostics import TopoError
from .model import IPAddress
from .names import hosts_name_problem, inside, lab_name_problem, printable
from .safefs import (UnsafePath, is_marked, open_dir, open_regular, opened_dir, opened_root, own_dir,
                     read_bytes, regular_file, remove_stale_dirs, stale_temporaries, temporary_name)

NETNS_HOSTS = "hosts"
"""The one file topo writes in /etc/netns/NS/ (and so the one it removes there)."""

_LOCALHOST_LINES = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)

_ENTRY_LINE = re.compile(r"([0-9A-Fa-f.:]+)\t([^\s#]+)\n")
"""A line topo writes: ADDRESS TAB NAME; both parts are checked again (entry_problem)."""
_NETNS_HEADER = re.compile(r"# Kubernetes-style hosts file managed by topo \(lab ([^\s()]+)\); "
                           r"edits are reverted by apply\.\n")
_FIELD_SEP = re.compile(r"[ \t\v\f\r]+")
"""What separates the fields of a hosts line for the C library's reader (isspace, without the
newline that ends the line)."""


class UnsafeHostsEntry(TopoError):
    """A hosts entry or lab name that would not make exactly one plain line: never written."""


def address_problem(addr: object) -> str | None:
    """Why `addr` cannot be the address of a hosts line topo writes."""
    if not isinstance(addr, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return f"{printable(str(addr))} is not an IP address"
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id is not None:
        return (f"{printable(str(addr))} has a scope id; a hosts file takes an address without one "
                "(the C library ignores such a line)")
    return None


def entry_line(addr: object, name: object) -> str:
    """The one line `ADDRESS<TAB>NAME` for an entry, from checked parts (UnsafeHostsEntry otherwise)."""
    if err := address_problem(addr) or hosts_name_problem(name):
        raise UnsafeHostsEntry(f"error: refusing to write the hosts entry {printable(str(name))}: {err}")
    return f"{addr}\t{name}\n"


def _entries(hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    return "".join(entry_line(addr, name) for name in sorted(hosts) for addr in hosts[name])


def check_entry_lines(body: str, where: str) -> None:
    """Refuse (UnsafeHostsEntry) a text that is not only entry lines topo would write: what
    reaches a hosts file can add no other line (no marker, no comment, no second entry)."""
    for line in body.splitlines(keepends=True):
        m = _ENTRY_LINE.fullmatch(line)
        try:
            ok = m is not None and entry_line(ipaddress.ip_address(m.group(1)), m.group(2)) == line
        except (ValueError, UnsafeHostsEntry):
            ok = False
        if not ok:
            raise UnsafeHostsEntry(f"error: refusing to write {printable(line)} into {where}: "
                                   "not an entry line (ADDRESS, a tab, a host name)")


def _checked_lab(lab: str) -> str:
    if err := lab_name_problem(lab):
        raise UnsafeHostsEntry(f"error: refusing to write a hosts file for lab {printable(str(lab))}: {err}")
    return lab


def check_netns_text(text: str, where: str) -> None:
    """A namespace's hosts file as topo renders it: its header, the localhost lines, entry lines."""
    m = _NETNS_HEADER.match(text)
    if m is None or text[m.end():m.end() + len(_LOCALHOST_LINES)] != _LOCALHOST_LINES:
        raise UnsafeHostsEntry(f"error: refusing to write {where}: not a hosts file as topo makes it")
    _checked_lab(m.group(1))
    check_entry_lines(text[m.end() + len(_LOCALHOST_LINES):], where)


STANDARD_HOST_NAMES = frozenset(
    {"localhost", "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters"})
"""Names every hosts file has (the localhost lines): not a lab's entries."""

HostsEntries = dict[str, tuple[IPAddress, ...]]


def parse_entries(text: str) -> tuple[HostsEntries, list[tuple[int, str]]]:
    """A hosts file's entries, name -> addresses in file order, without the standard localhost
    names; and the (line number, first field) of lines whose first field is not an address.
    Read as the C library reads it: lines end at a newline only, fields are split at its
    white space; a scoped address (which it ignores) counts as no address, and a field that
    is not a valid host name (a control character, an overlong name) is no entry."""
    out: dict[str, list[IPAddress]] = {}
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        fields = [f for f in _FIELD_SEP.split(line.split("#", 1)[0]) if f]
        if len(fields) < 2:
            continue
        try:
            ip = ipaddress.ip_address(fields[0])
        except ValueError:
            ip = None
        if ip is None or address_problem(ip):
            bad.append((number, fields[0]))
            continue
        for name in fields[1:]:
            if name in STANDARD_HOST_NAMES or hosts_name_problem(name):
                continue
            addrs = out.setdefault(name, [])
            if ip not in addrs:
                addrs.append(ip)
    return {name: tuple(addrs) for name, addrs in out.items()}, bad


def read_node_entries(etc_hosts: Path, lab: str) -> HostsEntries:
    """Every entry of the node's /etc/hosts but lab `lab`'s own block: the user's lines and
    the other labs' blocks."""
    try:
        before, _, after, _ = _split_block(_read_exact(etc_hosts), lab)
    except OSError:
        return {}
    return parse_entries(before + after)[0]


def render_netns_hosts(lab: str, hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    """A Kubernetes-style hosts file for a lab namespace."""
    return (f"# Kubernetes-style hosts file managed by topo (lab {_checked_lab(lab)}); edits are reverted by apply.\n"
            + _LOCALHOST_LINES + _entries(hosts))


def render_block_body(hosts: dict[str, tuple[IPAddress, ...]]) -> str:
    return _entries(hosts)


def begin_marker(lab: str, newline_added: bool = False) -> str:
    """`newline_added`: the user's file did not end with a newline; topo added one before the
    block and takes it away again with the block."""
    note = "; topo ended the line above" if newline_added else ""
    return f"# BEGIN topo lab {_checked_lab(lab)} (managed by topo; do not edit{note})\n"


def end_marker(lab: str) -> str:
    return f"# END topo lab {_checked_lab(lab)}\n"


def netns_dir_path(etc_netns: Path, ns: str) -> Path:
    """/etc/netns/NS, for a namespace name that is one plain file name (PathEscape otherwise)."""
    return inside(etc_netns, ns)


def netns_hosts_path(etc_netns: Path, ns: str) -> Path:
    return netns_dir_path(etc_netns, ns) / NETNS_HOSTS


def _read_exact(path: Path) -> str:
    """A file's text, every byte kept: no newline translation, undecodable bytes escaped
    (write_atomic encodes them back)."""
    return path.read_bytes().decode("utf-8", "surrogateescape")


def read_netns_hosts(etc_netns: Path, ns: str) -> str | None:
    """The namespace's hosts file, None when there is none, or when /etc/netns/NS or its
    hosts file is a link or not what topo writes: topo never reads through it (and refuses to
    write through it, see write_netns_hosts; destroy leaves it)."""
    return read_netns_file(etc_netns, ns, NETNS_HOSTS)


def read_netns_file(etc_netns: Path, ns: str, filename: str) -> str | None:
    """A file of /etc/netns/NS (hosts, resolv.conf), read as read_netns_hosts reads hosts."""
    path = netns_dir_path(etc_netns, ns)
    try:
        with opened_root(etc_netns) as root, opened_dir(path, ns, root) as fd:
            return read_bytes(fd, filename, path / filename).decode("utf-8", "surrogateescape")
    except (FileNotFoundError, UnsafePath):
        return None


def write_atomic(path: Path, text: str, mode: int = 0o644, interim: str | None = None) -> None:
    """Replace `path` with `text` atomically; in place (after a full trial write) on a bind mount.
    `interim`: a valid content that both the old and the new text start with (for in place).
    Nothing is followed: the directory is opened without following a link at its name, the
    temporary file is made new (O_EXCL|O_NOFOLLOW) in it and renamed relative to it, and a
    link (or a file of another kind) at `path` is refused with UnsafePath."""
    with opened_dir(path.parent) as dir_fd:
        _write_atomic_at(dir_fd, path.name, path, text, mode, interim)


def _write_atomic_at(dir_fd: int, name: str, shown: Path, text: str, mode: int, interim: str | None) -> None:
    data = text.encode("utf-8", "surrogateescape")
    regular_file(dir_fd, name, shown)
    _remove_stale_at(dir_fd, name)
    tmp = temporary_name(name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        try:
            _pwrite_all(fd, data, 0)
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        try:
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            tmp = ""
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM):
                raise
        _write_in_place(dir_fd, name, shown, data, None if interim is None else interim.encode("utf-8", "surrogateescape"))
    finally:
        if tmp:
            _unlink_at(dir_fd, tmp)


def _unlink_at(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files of `path` that a killed run left behind (their writer is gone)."""
    try:
        with opened_dir(path.parent) as dir_fd:
            _remove_stale_at(dir_fd, path.name)
    except FileNotFoundError:
        pass


def _remove_stale_at(dir_fd: int, name: str) -> None:
    for tmp in stale_temporaries(dir_fd, name):
        _unlink_at(dir_fd, tmp)


def _write_in_place(dir_fd: int, name: str, shown: Path, data: bytes, interim: bytes | None = None) -> None:
    """Rewrite a file that cannot be replaced, so that a process killed between any two
    system calls leaves the old content, the new one or `interim`, never a mix: cutting to a
    prefix is one truncation, growing one write from the first changed byte, and shrinking
    goes through `interim` (a truncation, then one write). The file is opened without
    following a link and must be a regular file of its own (no other hard link)."""
    fd = open_regular(dir_fd, name, shown, os.O_RDWR)
    try:
        original = _read_all(fd)
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
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _pwrite_all(fd: int, data: bytes, start: int) -> None:
    """Write data[start:] at offset `start`."""
    view = memoryview(data)
    while start < len(data):
        start += os.pwrite(fd, view[start:], start)


def write_netns_hosts(etc_netns: Path, ns: str, text: str) -> None:
    """Write /etc/netns/NS/hosts (checked: only the lines topo renders); /etc/netns/NS is
    made (marked as topo's) when missing, and refused when it is a link or not a directory."""
    path = netns_dir_path(etc_netns, ns)
    check_netns_text(text, str(path / NETNS_HOSTS))
    write_netns_file(etc_netns, ns, NETNS_HOSTS, text)


def write_netns_file(etc_netns: Path, ns: str, filename: str, text: str) -> None:
    """Write a file of /etc/netns/NS atomically (the caller checked its text); /etc/netns/NS is
    made (marked as topo's) when missing, and refused when it is a link or not a directory."""
    path = netns_dir_path(etc_netns, ns)
    etc_netns.mkdir(parents=True, exist_ok=True)
    with opened_root(etc_netns) as root, own_dir(root, ns, path) as fd:
        _write_atomic_at(fd, filename, path / filename, text, 0o644, None)


def remove_netns_dir(etc_netns: Path, ns: str, filename: str = NETNS_HOSTS) -> None:
    """Remove what topo wrote in /etc/netns/NS: its hosts file (or `filename`: a regular file;
    never a link or anything else) and its temporary files; then the directory itself, only
    when topo made it and nothing else is left in it. A link at /etc/netns/NS is not followed
    and stays."""
    path = netns_dir_path(etc_netns, ns)
    try:
        with opened_root(etc_netns) as root:
            remove_stale_dirs(root, ns)  # a directory a killed run was making
            try:
                fd = open_dir(path, ns, root)
            except (FileNotFoundError, UnsafePath):
                return
            try:
                try:
                    if regular_file(fd, filename, path / filename) is not None:
                        os.unlink(filename, dir_fd=fd)
                except UnsafePath:
                    pass  # not topo's file: it stays
                _remove_stale_at(fd, filename)
                mine = is_marked(fd)
            finally:
                os.close(fd)
    except FileNotFoundError:
        return
    if mine:
        try:
            os.rmdir(path)  # by path (an rmdir never follows a link at its last component)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT, errno.ENOTDIR):
                raise


def _split_block(text: str, lab: str) -> tuple[str, str | None, str, bool]:
    """(before, block body or None, after, newline added) for the lab's block in a hosts
    file's text."""
    for added in (False, True):
        begin, end = begin_marker(lab, added), end_marker(lab)
        start = text.find(begin)
        if start < 0 or (start > 0 and text[start - 1] != "\n"):
            continue
        stop = text.find("\n" + end, start + len(begin) - 1) + 1  # a marker is a whole line
        if stop <= 0:
            continue
        return text[:start], text[start + len(begin) : stop], text[stop + len(end) :], added
    return text, None, "", False


def read_managed_block(etc_hosts: Path, lab: str) -> str | None:
    try:
        text = _read_exact(etc_hosts)
    except FileNotFoundError:
        return None
    return _split_block(text, lab)[1]


def set_managed_block(etc_hosts: Path, lab: str, body: str | None) -> None:
    """Write (or with None remove) the lab's block in /etc/hosts; all other bytes stay as they are."""
    try:
        text = _read_exact(etc_hosts)
    except FileNotFoundError:
        text = ""
    if body is not None:
        check_entry_lines(body, f"the /etc/hosts block of lab {printable(lab)}")
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
        if nxt and lab_name_problem(nxt.group(1)) is None:
            after = begin_marker(nxt.group(1), True) + after[nxt.end():]
        new = (before[:-1] if added and after == "" else before) + after
    else:
        new = before + begin_marker(lab, added) + body + end_marker(lab) + after
    if new != text:
        # rewritten in place (a bind mount), a last block is changed through the file without it
        write_atomic(etc_hosts, new, interim=(before[:-1] if added else before) if after == "" else None)
