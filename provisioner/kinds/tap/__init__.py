"""Tun/tap devices (`taps:`): persistent devices a VM (QEMU) or a user-space program opens
to join a lab, in a namespace, in a node's root namespace, or as a port of a lab bridge;
an owner user, multi-queue."""

from ...core.registry import KindSpec
from .link import CREATE_TAP, TapLink

KIND = KindSpec("tap", depends=("bridge",), ops=(CREATE_TAP,), link=TapLink())
