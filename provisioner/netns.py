"""Network namespaces, in process: create, delete, enter, and one netlink socket per namespace.

pyroute2's `netns.create()` and `IPRoute(netns=...)` fork a helper per call (~9 ms); here a
namespace is entered with setns(2) in the calling thread (well under 0.1 ms), a socket is
opened there (a netlink socket stays bound to the namespace it was opened in), and the
thread goes back. Namespaces are pinned like iproute2 does: a bind mount on /run/netns/NAME,
with /run/netns itself a shared mount so `ip netns exec` and other tools see them.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .names import inside
from .roots import Roots
from .rtnlsock import RtnlSocket
from .safefs import UnsafePath, kind_of

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8
NETNS_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
"""How a pinned namespace file is opened: a link planted at /run/netns/NAME is never followed
(it could lead to another namespace, the machine's own)."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


class NetnsError(OSError):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise NetnsError(err, f"{what}: {os.strerror(err)}")


def setns(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def _mount(src: str, target: str, fstype: str | None, flags: int) -> int:
    return _libc.mount(src.encode(), target.encode(), fstype.encode() if fstype else None, flags, None)


def list_netns(run_dir: Path) -> list[str]:
    """The namespaces pinned under RUN_DIR (/run/netns); a hidden name or a link there is none."""
    try:
        with os.scandir(run_dir) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".") and not e.is_symlink())
    except FileNotFoundError:
        return []


def netns_path(run_dir: Path, name: str) -> Path:
    """RUN_DIR/NAME (/run/netns/NAME), for a name that is one plain file name (PathEscape otherwise)."""
    return inside(run_dir, name)


def _lstat(run_dir: Path, name: str) -> os.stat_result | None:
    try:
        return os.stat(netns_path(run_dir, name), follow_symlinks=False)
    except FileNotFoundError:
        return None


def netns_exists(run_dir: Path, name: str) -> bool:
    """Whether /run/netns/NAME is there and is not a link (a link is no namespace of topo's)."""
    st = _lstat(run_dir, name)
    return st is not None and not stat.S_ISLNK(st.st_mode)


def netns_inode(run_dir: Path, name: str, pinned: bool = False) -> int | None:
    """The namespace's identity (inode of the nsfs file), or None when it is missing or a link
    (with `pinned`: also when the file is not a namespace, e.g. left unpinned by a killed run)."""
    st = _lstat(run_dir, name)
    if st is None or stat.S_ISLNK(st.st_mode):
        return None
    if pinned and st.st_dev != os.stat("/proc/self/ns/net").st_dev:
        return None
    return st.st_ino


def _refuse_link(path: Path, expected: str) -> None:
    """UnsafePath when `path` is a link (or, for a directory, not one): never followed."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or (expected == "a directory" and not stat.S_ISDIR(st.st_mode)):
        raise UnsafePath(path, kind_of(st.st_mode), expected)


def _ensure_run_dir(run_dir: Path) -> None:
    """Make /run/netns exist and be a shared mount, as `ip netns add` does (never through a link)."""
    _refuse_link(run_dir, "a directory")
    run_dir.mkdir(parents=True, exist_ok=True)
    run = str(run_dir)
    if _mount("none", run, None, MS_SHARED | MS_REC) == 0:
        return
    if ctypes.get_errno() != errno.EINVAL:
        _check(-1, f"make {run} shared")
    _check(_mount(run, run, "none", MS_BIND | MS_REC), f"bind {run}")
    _check(_mount("none", run, None, MS_SHARED | MS_REC), f"make {run} shared")


def _raise_fd_limit() -> None:
    """A socket per namespace (and a namespace fd per new veth) needs more than 1024 fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextmanager
def entered(fd: int, home_fd: int) -> Iterator[None]:
    setns(fd)
    try:
        yield
    finally:
        setns(home_fd)


@dataclass
class NetnsPool:
    """One rtnetlink socket per namespace (None = the root namespace of this node), opened lazily.

    Use as a context manager; everything is closed on exit. Never creates a namespace by
    reading: opening a missing one raises FileNotFoundError. `roots`: where the namespaces are
    pinned, and what the code running with the pool (the live reader, the executor's steps)
    works under.
    """

    roots: Roots
    _home_fd: int = -1
    _sockets: dict[str | None, RtnlSocket] = field(default_factory=dict)

    def __enter__(self) -> "NetnsPool":
        _raise_fd_limit()
        self._home_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
        if self._home_fd >= 0:
            os.close(self._home_fd)
            self._home_fd = -1

    def socket(self, netns: str | None) -> RtnlSocket:
        sock = self._sockets.get(netns)
        if sock is None:
            if netns is None:
                sock = RtnlSocket()
            else:
                fd = os.open(self.path(netns), NETNS_OPEN)
                try:
                    with entered(fd, self._home_fd):
                        sock = RtnlSocket()
                finally:
                    os.close(fd)
            self._sockets[netns] = sock
        return sock

    @contextmanager
    def inside(self, netns: str | None) -> Iterator[None]:
        """Run a block with this thread in `netns` (for /proc/sys and the like)."""
        if netns is None:
            yield
            return
        fd = os.open(self.path(netns), NETNS_OPEN)
        try:
            with entered(fd, self._home_fd):
                yield
        finally:
            os.close(fd)

    def fd(self, netns: str | None) -> int:
        """An fd of the namespace (caller closes it)."""
        if netns is None:
            return os.dup(self._home_fd)
        return os.open(self.path(netns), NETNS_OPEN)

    def path(self, name: str) -> Path:
        """Where namespace NAME is pinned (/run/netns/NAME)."""
        return netns_path(self.roots.netns_run, name)

    def create(self, name: str) -> None:
        """Create and pin a new namespace /run/netns/NAME, and open its socket."""
        _ensure_run_dir(self.roots.netns_run)
        path = self.path(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0)
        except FileExistsError:
            _refuse_link(path, "a namespace file")
            raise
        os.close(fd)
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare")
            try:
                _check(_mount("/proc/thread-self/ns/net", str(path), "none", MS_BIND), f"pin {path}")
                self._sockets[name] = RtnlSocket()
            finally:
                setns(self._home_fd)
        except BaseException:
            _libc.umount2(str(path).encode(), MNT_DETACH)
            path.unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        """Unpin a namespace (its interfaces go when the last user leaves), like `ip netns del`."""
        sock = self._sockets.pop(name, None)
        if sock is not None:
            sock.close()
        path = self.path(name)
        _refuse_link(path, "a namespace file")  # not followed, not unlinked: it is not topo's
        if _libc.umount2(str(path).encode(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0:
            err = ctypes.get_errno()
            if err not in (errno.EINVAL, errno.ENOENT):
                raise NetnsError(err, f"unpin {path}: {os.strerror(err)}")
        path.unlink(missing_ok=True)
