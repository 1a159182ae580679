"""Persistent tun/tap devices through /dev/net/tun (the kernel refuses to make them over
netlink: "tun/tap creation via rtnetlink is not supported"; it reports them over netlink,
IFLA_TUN_*, which read.py decodes). The device is made in the network namespace of the
thread that opens /dev/net/tun: the caller enters the namespace first."""

from __future__ import annotations

import fcntl
import os
import struct

from .model import MODES

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
TUNSETOWNER = 0x400454CC
IFF_MULTI_QUEUE = 0x0100
IFF_NO_PI = 0x1000
IFF_TUN_EXCL = 0x8000  # refuse a device of that name that exists (EBUSY) instead of attaching to it
IFREQ_SIZE = 40


def ifreq(name: str, flags: int) -> bytes:
    """struct ifreq with ifr_name and ifr_flags (the rest zero)."""
    return struct.pack("16sH", name.encode(), flags).ljust(IFREQ_SIZE, b"\0")


def flags(mode: str, multi_queue: bool, exclusive: bool = False) -> int:
    return MODES[mode] | IFF_NO_PI | (IFF_MULTI_QUEUE if multi_queue else 0) | (IFF_TUN_EXCL if exclusive else 0)


def attach(name: str, mode: str, multi_queue: bool, exclusive: bool = False) -> int:
    """An fd on the device `name` (made when it does not exist; with `exclusive`, an error when
    it does): what QEMU or a user-space program holds to send and receive frames."""
    fd = os.open(TUN_PATH, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.ioctl(fd, TUNSETIFF, ifreq(name, flags(mode, multi_queue, exclusive)))
    except OSError:
        os.close(fd)
        raise
    return fd


def make_persistent(name: str, mode: str, uid: int | None, multi_queue: bool) -> None:
    """Make the device, give it its owner, and keep it when the fd closes. A failure before
    TUNSETPERSIST leaves nothing: the kernel deletes a device that is not persistent with its
    last fd."""
    fd = attach(name, mode, multi_queue, exclusive=True)
    try:
        if uid is not None:
            fcntl.ioctl(fd, TUNSETOWNER, uid)
        fcntl.ioctl(fd, TUNSETPERSIST, 1)
    finally:
        os.close(fd)
