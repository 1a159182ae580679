"""A policy routing rule (`ip rule`): which packets (from, to, iif, oif, fwmark) look up
which table, at which priority."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import YamlPath
from ...model import IPNetwork

NO_MASK = 0xFFFFFFFF
"""The mask the kernel gives a fwmark written without one."""


@dataclass(frozen=True)
class Rule:
    """One rule; all but `path` is its identity (the kernel keeps equal rules only once)."""

    family: int  # 4 or 6
    priority: int
    table: int
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    iif: str | None = None
    oif: str | None = None
    fwmark: int | None = None
    fwmask: int | None = None  # None with a fwmark: NO_MASK
    path: YamlPath = field(default=(), compare=False, hash=False)

    def describe(self) -> str:
        parts = [f"{self.priority}:"] + ([] if self.src or self.dst else [f"ipv{self.family}"])
        for word, value in (("from", self.src), ("to", self.dst), ("iif", self.iif), ("oif", self.oif)):
            if value is not None:
                parts += [word, str(value)]
        if self.fwmark is not None:
            mask = self.fwmask if self.fwmask is not None else NO_MASK
            parts += ["fwmark", hex(self.fwmark) + ("" if mask == NO_MASK else f"/{hex(mask)}")]
        return " ".join(parts + ["lookup", str(self.table)])

    def normal(self) -> "Rule":
        """The rule as the kernel keeps it (a fwmark's mask given), without its place in the file."""
        return self.normal_at(())

    def normal_at(self, path: YamlPath) -> "Rule":
        mask = (self.fwmask if self.fwmask is not None else NO_MASK) if self.fwmark is not None else None
        return Rule(self.family, self.priority, self.table, self.src, self.dst, self.iif, self.oif, self.fwmark, mask, path)

    def to_record(self) -> dict[str, Any]:
        """How the lab's record lists a root-namespace rule it made."""
        out: dict[str, Any] = {"family": self.family, "priority": self.priority, "table": self.table}
        for key in ("src", "dst", "iif", "oif", "fwmark", "fwmask"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value if isinstance(value, (int, str)) else str(value)
        return out

    @classmethod
    def from_record(cls, data: Any) -> "Rule":
        """A rule as `to_record` wrote it; ValueError (or TypeError) when it is not one."""
        if not isinstance(data, dict) or not set(data) <= set(_RECORD) or not {"family", "priority", "table"} <= set(data):
            raise ValueError("not a rule record")
        for key, kind in _RECORD.items():
            if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
                raise ValueError(f"rule record: {key} is not {kind.__name__}")
        nets = {k: ipaddress.ip_network(data[k]) for k in ("src", "dst") if k in data}
        return cls(data["family"], data["priority"], data["table"], nets.get("src"), nets.get("dst"), data.get("iif"),
                   data.get("oif"), data.get("fwmark"), data.get("fwmask"))


_RECORD: dict[str, type] = {"family": int, "priority": int, "table": int, "src": str, "dst": str, "iif": str, "oif": str,
                            "fwmark": int, "fwmask": int}


@dataclass(frozen=True)
class RuleKey:
    """A rule's identity in a namespace (None: the node's root namespace)."""

    netns: str | None
    rule: Rule
