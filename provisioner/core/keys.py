"""Typed identities of the objects topo manages. Behaviour never depends on display text:
plans deduplicate, ownership tells foreign objects, and the record stores routes by these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..model import IPAddress, IPInterface, IPNetwork, kernel_default_metric

import ipaddress


@dataclass(frozen=True)
class NetnsKey:
    name: str

    def describe(self) -> str:
        return f"namespace {self.name}"


@dataclass(frozen=True)
class LinkKey:
    netns: str | None
    name: str

    def describe(self) -> str:
        return f"link {self.name}"


@dataclass(frozen=True)
class AddressKey:
    netns: str | None
    ifname: str
    address: IPInterface


@dataclass(frozen=True)
class FdbKey:
    netns: str | None
    ifname: str
    remote: IPAddress


@dataclass(frozen=True)
class RouteKey:
    """A route's identity in the main table: its destination and its metric as the kernel has it."""

    netns: str | None
    dst: IPNetwork
    metric: int

    @classmethod
    def of(cls, netns: str | None, dst: IPNetwork, metric: int | None) -> "RouteKey":
        return cls(netns, dst, metric if metric is not None else kernel_default_metric(dst))

    def to_record(self) -> dict[str, Any]:
        return {"dst": str(self.dst), "metric": self.metric}

    @classmethod
    def from_record(cls, netns: str | None, data: Any) -> "RouteKey":
        """A root route as the record lists it: `{"dst", "metric"}` (record version 3), or the
        string `NS|DST|METRIC` of the releases before (migrated on read). ValueError if neither."""
        if isinstance(data, str):
            ns, dst, metric = data.split("|")
            if ns:
                raise ValueError(f"a root route key names namespace {ns!r}")
            return cls(netns, ipaddress.ip_network(dst), int(metric))
        if isinstance(data, dict) and set(data) == {"dst", "metric"} and isinstance(data["metric"], int) \
                and not isinstance(data["metric"], bool) and isinstance(data["dst"], str):
            return cls(netns, ipaddress.ip_network(data["dst"]), data["metric"])
        raise ValueError("not a route key")


@dataclass(frozen=True)
class SysctlKey:
    netns: str | None
    key: str


@dataclass(frozen=True)
class HostsKey:
    netns: str | None  # None: the lab's block of the node's /etc/hosts


@dataclass(frozen=True)
class ProcessKey:
    netns: str
    name: str


ObjectKey = Union[NetnsKey, LinkKey, AddressKey, FdbKey, RouteKey, SysctlKey, HostsKey, ProcessKey]
