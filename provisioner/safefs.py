"""Files and directories topo writes, opened without following symbolic links.

topo runs as root and writes in directories that other tools (and their users) write in too:
/etc/netns, /run/netns, /run/topo, /etc. A link planted where topo expects its own directory
or file would make it write (or truncate, or delete) something else. So every file topo
writes is opened relative to a directory fd (openat-style) with O_NOFOLLOW, and a link or a
file of another kind where topo expects a directory or a regular file is refused with a
clear error (`UnsafePath`) before anything is written.

A directory topo makes for itself (/etc/netns/NS) carries a mark (an extended attribute) set
before it gets its name, so that topo later removes only directories it made; one it did not
make keeps existing, and so does every file in it that topo did not write.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .diagnostics import TopoError

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MARK_NAMES = ("trusted.topo", "user.topo")
"""The extended attribute on a directory topo made (trusted.* for root; user.* where that is refused)."""
MARK_VALUE = b"made by topo"
RENAME_NOREPLACE = 1

_libc = ctypes.CDLL(None, use_errno=True)


class UnsafePath(OSError, TopoError):
    """A link, or a file of another kind, where topo expects its own directory or regular
    file: refused, nothing written. An OSError (an action that meets one fails with this
    message) and a TopoError (the command ends with it, never with a traceback)."""

    def __init__(self, path: Path | str, found: str, expected: str):
        OSError.__init__(self, errno.ELOOP, f"{path} is {found}, not {expected}: topo does not follow it or "
                         "write through it; move it away and run the command again")
        self.diagnostics = []

    def __str__(self) -> str:
        return f"error: {self.strerror}"


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "a special file"


def _describe(path: Path | str, dir_fd: int | None = None) -> str:
    try:
        st = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return "not a plain directory"
    what = kind_of(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        try:
            what += f" (to {os.readlink(path, dir_fd=dir_fd)})"
        except OSError:
            pass
    return what


def open_dir(path: Path, name: str | None = None, dir_fd: int | None = None) -> int:
    """An fd of the directory `path` (or of `name` in the directory `dir_fd`, shown as `path`),
    its last component not followed if it is a link. FileNotFoundError when it is missing."""
    try:
        return os.open(path if name is None else name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePath(path, _describe(path if name is None else name, dir_fd), "a directory") from None
        raise


@contextmanager
def opened_dir(path: Path, name: str | None = None, dir_fd: int | None = None) -> Iterator[int]:
    fd = open_dir(path, name, dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


def regular_file(dir_fd: int, name: str, shown: Path | str) -> os.stat_result | None:
    """The status of `name` in `dir_fd` if it is a regular file, None if it is missing;
    UnsafePath for a link or any other kind of file."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(shown, _describe(name, dir_fd), "a regular file")
    return st


def open_regular(dir_fd: int, name: str, shown: Path | str, flags: int, mode: int = 0o600, own: bool = True) -> int:
    """os.open of `name` in `dir_fd` that never follows a link there (O_NOFOLLOW), never
    blocks on a FIFO, and refuses anything but a regular file; with `own` (to write it) also
    one with other hard links (writing it would write another file) or of another owner.
    The caller closes the fd."""
    try:
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(shown, _describe(name, dir_fd), "a regular file") from None
        raise
    st = os.fstat(fd)
    found = None
    if not stat.S_ISREG(st.st_mode):
        found = kind_of(st.st_mode)
    elif own and st.st_nlink != 1:
        found = f"a file with {st.st_nlink} hard links"
    elif own and st.st_uid != os.geteuid():
        found = f"a file of user id {st.st_uid}"
    if found is not None:
        os.close(fd)
        raise UnsafePath(shown, found, "a regular file of topo's user" if own else "a regular file")
    return fd


def read_bytes(dir_fd: int, name: str, shown: Path | str) -> bytes:
    """The content of the regular file `name` in `dir_fd` (never through a link)."""
    fd = open_regular(dir_fd, name, shown, os.O_RDONLY, own=False)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _pid_namespace() -> str:
    """The inode of this process's PID namespace ("0" when it cannot be read)."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


def temporary_name(name: str) -> str:
    """A hidden name beside `name` for a temporary file or directory of this process: its pid
    and its PID namespace in it (a pid means something only in its own namespace)."""
    return f".{name}.topo-{os.getpid()}-{_pid_namespace()}-{secrets.token_hex(4)}"


def stale_temporaries(dir_fd: int, name: str) -> list[str]:
    """Temporary names of `name` in `dir_fd` that a killed run left behind (their writer is
    gone). A name from another PID namespace is never stale here: its pid cannot be looked up
    from this one (a directory shared by sandboxes or containers, each with its own PIDs)."""
    prefix = f".{name}.topo-"
    ours = _pid_namespace()
    out = []
    for entry in os.listdir(dir_fd):
        if entry.startswith(prefix):
            parts = entry[len(prefix):].split("-")
            pid = parts[0]
            if len(parts) == 3 and parts[1] != ours:
                continue  # another PID namespace's writer
            if not pid.isdigit() or not os.path.exists(f"/proc/{pid}"):
                out.append(entry)
    return out


def is_marked(fd: int) -> bool:
    """Whether the directory `fd` is one topo made (its mark is on it)."""
    for attr in MARK_NAMES:
        try:
            if os.getxattr(fd, attr) == MARK_VALUE:
                return True
        except OSError:
            continue
    return False


def _mark(fd: int) -> None:
    """Mark a directory as topo's; a filesystem without extended attributes leaves it
    unmarked (it is then never removed). Other errors (a full disk) are raised."""
    for attr in MARK_NAMES:
        try:
            os.setxattr(fd, attr, MARK_VALUE)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EPERM, errno.EACCES):
                raise


def _rename_noreplace(dir_fd: int, old: str, new: str) -> None:
    if _libc.renameat2(dir_fd, old.encode(), dir_fd, new.encode(), RENAME_NOREPLACE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), new)


@contextmanager
def opened_root(path: Path) -> Iterator[int]:
    """An fd of one of topo's configured roots (/etc/netns, /run/netns, ...), as configured
    (a link there is the system's own choice); what topo makes under it is opened with open_dir."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def own_dir(root_fd: int, name: str, shown: Path) -> Iterator[int]:
    fd = make_own_dir(root_fd, name, shown)
    try:
        yield fd
    finally:
        os.close(fd)


def make_own_dir(root_fd: int, name: str, shown: Path, mode: int = 0o755) -> int:
    """An fd of the directory `name` in `root_fd`: the existing one (never a link), or a new
    one made with topo's mark on it before it gets its name (a kill never leaves an unmarked
    directory of topo's, only a hidden temporary one that the next run removes)."""
    remove_stale_dirs(root_fd, name)
    try:
        return open_dir(shown, name, root_fd)
    except FileNotFoundError:
        pass
    tmp = temporary_name(name)
    os.mkdir(tmp, mode, dir_fd=root_fd)
    try:
        with opened_dir(shown.parent / tmp, tmp, root_fd) as fd:
            _mark(fd)
        _rename_noreplace(root_fd, tmp, name)
        tmp = ""
    except OSError as exc:
        if exc.errno != errno.EEXIST:  # else made by someone else meanwhile: use theirs, unmarked
            raise
    finally:
        if tmp:
            os.rmdir(tmp, dir_fd=root_fd)
    return open_dir(shown, name, root_fd)


def remove_stale_dirs(root_fd: int, name: str) -> None:
    """Temporary directories of `name` that a killed run left (empty: one is renamed before
    anything is written in it); anything else by such a name stays."""
    for entry in stale_temporaries(root_fd, name):
        try:
            os.rmdir(entry, dir_fd=root_fd)
        except OSError:
            pass
