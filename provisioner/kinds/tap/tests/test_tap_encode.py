"""create-tap: the ioctls on /dev/net/tun inside the tap's namespace (TUNSETIFF with the mode,
IFF_NO_PI, IFF_TUN_EXCL and multi-queue flags; TUNSETOWNER; TUNSETPERSIST), then one
RTM_NEWLINK there with the settings, decoded by pyroute2."""

from __future__ import annotations

import contextlib
import struct
from typing import Any, Iterator

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from provisioner.core.plan import Action, Change
from provisioner.kinds.link.apply import LinkSpec
from provisioner.kinds.tap import device
from provisioner.kinds.tap.link import CREATE_TAP, TapSpec
from provisioner.kinds.tap.model import Tap
from provisioner.kinds.testing import FakeExecutor, decode


class Recorder(FakeExecutor):
    """A fake executor that remembers the namespace entered and the requests sent."""

    def __init__(self) -> None:
        super().__init__({("pod-a", "br-vm"): 4})
        self.calls: list[Any] = []
        self.pool.inside = self.inside  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def inside(self, netns: str | None) -> Iterator[None]:
        self.calls.append(("enter", netns))
        yield
        self.calls.append(("leave", netns))

    def send(self, requests: list[Any]) -> None:
        self.calls.extend(("send", r.netns, r.msg) for r in requests)


@pytest.mark.parametrize("tap,flags,owner", [
    (Tap("tap", "nobody", 65534, True), 0x0002 | 0x1000 | 0x0100 | 0x8000, 65534),
    (Tap("tun"), 0x0001 | 0x1000 | 0x8000, None),
])
def test_create_tap(monkeypatch: pytest.MonkeyPatch, tap: Tap, flags: int, owner: int | None) -> None:
    ioctls: list[tuple[int, Any]] = []
    monkeypatch.setattr(device.os, "open", lambda path, mode: ioctls.append(("open", path)) or 99)
    monkeypatch.setattr(device.os, "close", lambda fd: ioctls.append(("close", fd)))
    monkeypatch.setattr(device.fcntl, "ioctl", lambda fd, req, arg: ioctls.append((req, arg)))
    ex = Recorder()
    spec = TapSpec(LinkSpec("tap0", 1400, None, True, "br-vm", alias="topo:lab"), tap)
    CREATE_TAP.run(ex, Action(CREATE_TAP, Change.CREATE, "pod-a", "tap tap0", spec))  # type: ignore[misc]
    want: list[Any] = [("open", "/dev/net/tun"), (device.TUNSETIFF, struct.pack("16sH", b"tap0", flags).ljust(40, b"\0"))]
    if owner is not None:
        want.append((device.TUNSETOWNER, owner))
    assert ioctls == want + [(device.TUNSETPERSIST, 1), ("close", 99)]
    assert [c[:2] for c in ex.calls] == [("enter", "pod-a"), ("leave", "pod-a"), ("send", "pod-a")]
    msg = decode(ex.calls[-1][2], ifinfmsg)
    assert (msg.get_attr("IFLA_IFNAME"), msg.get_attr("IFLA_MTU"), msg.get_attr("IFLA_MASTER"), msg.get_attr("IFLA_IFALIAS")) == \
        ("tap0", 1400, 4, "topo:lab")
    assert (msg["flags"], msg["change"]) == (1, 1)


def test_a_failed_tunsetiff_closes_the_fd(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[int] = []
    monkeypatch.setattr(device.os, "open", lambda path, mode: 5)
    monkeypatch.setattr(device.os, "close", closed.append)

    def busy(fd: int, req: int, arg: Any) -> None:
        raise OSError(16, "Device or resource busy")
    monkeypatch.setattr(device.fcntl, "ioctl", busy)
    with pytest.raises(OSError, match="busy"):
        device.make_persistent("tap0", "tap", None, False)
    assert closed == [5]
