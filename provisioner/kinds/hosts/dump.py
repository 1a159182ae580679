"""/etc/hosts entries in a topology file: the `hosts:` mapping of a namespace, a node or the top
level (what every node's root namespace has in common); a name with one address maps to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import IPAddress, Netns

if TYPE_CHECKING:
    from ...dump import Data

Hosts = dict[str, tuple[IPAddress, ...]]


def values(ns: Netns) -> Hosts:
    return ns.hosts


def section(hosts: Hosts) -> Data:
    if not hosts:
        return {}
    out: Data = {}
    for name, addrs in hosts.items():
        if not addrs:
            raise ValueError(f"hosts entry '{name}' has no address; a topology file cannot say that")
        out[name] = str(addrs[0]) if len(addrs) == 1 else [str(a) for a in addrs]
    return {"hosts": out}
