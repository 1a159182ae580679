"""`topo save` of a namespace's sysctls: the forwarding switches, where they are on."""

from __future__ import annotations

from typing import Mapping

CAPTURED_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
"""Captured where their value is 1 (a new namespace has them at 0 unless the machine's own is 1)."""


def capture_sysctls(values: Mapping[str, str | None]) -> dict[str, str]:
    """The captured keys that are 1, in CAPTURED_SYSCTLS order (a key not read is not written)."""
    return {key: "1" for key in CAPTURED_SYSCTLS if values.get(key) == "1"}
