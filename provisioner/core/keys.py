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
    """A route's identity: its destination and its metric as the kernel has it, in its table
    (254: main)."""

    netns: str | None
    dst: IPNetwork
    metric: int
    table: int = 254

    @classmethod
    def of(cls, netns: str | None, dst: IPNetwork, metric: int | None, table: int = 254) -> "RouteKey":
        return cls(netns, dst, metric if metric is not None else kernel_default_metric(dst), table)

    def to_record(self) -> dict[str, Any]:
        """`{dst, metric}`, and `table` for a route outside the main table."""
        return {"dst": str(self.dst), "metric": self.metric, **({"table": self.table} if self.table != 254 else {})}

    def order(self) -> tuple[int, str, int, int]:
        """How records list root routes."""
        return (self.dst.version, str(self.dst), self.metric, self.table)

    @classmethod
    def from_record(cls, netns: str | None, data: Any) -> "RouteKey":
        """A root route as the record lists it: `{"dst", "metric"}` (record version 3), or the
        string `NS|DST|METRIC` of the releases before (migrated on read). ValueError if neither."""
        if isinstance(data, str):
            ns, dst, metric = data.split("|")
            if ns:
                raise ValueError(f"a root route key names namespace {ns!r}")
            return cls(netns, ipaddress.ip_network(dst), int(metric))
        if isinstance(data, dict) and set(data) in ({"dst", "metric"}, {"dst", "metric", "table"}) \
                and all(_uint(data.get(k, 254)) for k in ("metric", "table")) and isinstance(data["dst"], str):
            return cls(netns, ipaddress.ip_network(data["dst"]), data["metric"], data.get("table", 254))
        raise ValueError("not a route key")


def _uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
