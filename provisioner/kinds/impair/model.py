"""Impairments of what an interface sends: the file's values in plain units (bits per second,
microseconds, percent), and where each one is declared."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ...diagnostics import YamlPath
from ...model import Place


@dataclass(frozen=True)
class Chance:
    """A probability in percent, and how much it depends on the last packet's (percent)."""

    percent: float
    correlation: float = 0.0


@dataclass(frozen=True)
class Impairment:
    rate: int | None = None  # bits per second
    delay: int = 0  # microseconds
    jitter: int = 0  # microseconds
    loss: Chance | None = None
    duplicate: Chance | None = None
    reorder: Chance | None = None
    corrupt: Chance | None = None
    limit: int | None = None  # packets (netem's queue; default 1000)

    def netem_settings(self) -> list[str]:
        """The settings only netem carries (a tbf qdisc carries `rate` alone)."""
        return [f.name for f in fields(self) if f.name not in ("rate", "limit") and getattr(self, f.name)]


NETEM_SETTINGS = ("delay", "jitter", "loss", "duplicate", "reorder", "corrupt")


@dataclass(frozen=True)
class Impaired:
    """An interface's impairments: `path` is where the file gives them."""

    place: Place
    ifname: str
    impairment: Impairment
    path: YamlPath = field(default=(), compare=False)  # where the file says it, not what it is: a dump may move it
