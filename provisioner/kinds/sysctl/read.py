"""Sysctls as the kernel has them: each value (None when it cannot be read) and which of the
lab's keys do not exist at all (a misspelt name, a module not loaded)."""

from __future__ import annotations

from typing import Iterable

from ...names import sysctl_path

PER_INTERFACE = ("net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh.")
"""Families whose fourth part is an interface's name (`all` and `default` too)."""


def read(key: str) -> str | None:
    try:
        return sysctl_path(key).read_text().strip()
    except (OSError, ValueError):
        return None


def missing(keys: Iterable[str]) -> set[str]:
    """The keys with no file under /proc/sys (a write-only knob exists, though unreadable)."""
    out = set()
    for key in keys:
        try:
            if not sysctl_path(key).exists():
                out.add(key)
        except ValueError:
            out.add(key)
    return out


def interface_of(key: str) -> str | None:
    """The interface a per-interface key is about (`net.ipv4.conf.eth0.forwarding`: eth0)."""
    if not key.startswith(PER_INTERFACE):
        return None
    parts = key.split(".")
    return parts[3].replace("/", ".") if len(parts) > 4 and parts[3] not in ("all", "default") else None


def proxy(key: str) -> str | None:
    """The key that exists now when `key` will exist once its interface does: the `default` one."""
    if interface_of(key) is None:
        return None
    parts = key.split(".")
    return ".".join(parts[:3] + ["default"] + parts[4:])


def to_read(keys: Iterable[str]) -> set[str]:
    """The keys to read for these declared ones: themselves and their proxies."""
    keys = set(keys)
    return keys | {p for k in keys if (p := proxy(k)) is not None}
