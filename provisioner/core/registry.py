"""The registry: the kinds of objects, ordered by their declared dependencies (as netlab
orders its modules). The order decides which kind's diff runs first (a later kind reads the
effects of the earlier ones) and which actions run first (`phase`)."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Optional

from .diff import DiffContext, Outcome
from .effects import Effects
from .plan import Op, Stage

Differ = Callable[[DiffContext, Effects], Outcome]
KINDS_PACKAGE = "provisioner.kinds"
"""Where the kinds' folders are: `<package>.<kind name>`."""


@dataclass(frozen=True)
class KindSpec:
    """One kind of object, as its folder declares it.

    `facts`: reads the kind's own facts of a node that no namespace holds (the lab's nftables
    table), kept in `LiveState.facts` by kind name.
    `depends`: kinds that must come first (their objects are made first and removed last).
    `ops`: the steps it plans. `diff`: desired + facts -> its outcome. `link`: for a kind of
    link, what the shared link diff asks of it (kinds/link). `sysctls`: the sysctl keys
    a namespace's facts must include (read with the namespace)."""

    name: str
    depends: tuple[str, ...] = ()
    ops: tuple[Op, ...] = ()
    diff: Optional[Differ] = None
    link: Any = None
    facts: Optional[Callable[[Any, str, Any], Any]] = None  # (pool, lab, namespaces) -> the kind's own facts of the node


@dataclass(frozen=True)
class Registry:
    kinds: tuple[KindSpec, ...]
    _phases: dict[Op, tuple[int, int, int]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        ordered = _ordered(self.kinds)
        object.__setattr__(self, "kinds", ordered)
        for pos, kind in enumerate(ordered):
            for index, op in enumerate(kind.ops):
                rank = -pos if op.stage is Stage.DELETE else pos
                self._phases[op] = (int(op.stage), rank, index)

    def phase(self, op: Op) -> tuple[int, int, int]:
        return self._phases[op]

    def ops(self) -> list[Op]:
        """Every op, in the order they run."""
        return sorted(self._phases, key=self._phases.__getitem__)

    def op_named(self, value: str) -> Op:
        for op in self._phases:
            if op.value == value:
                return op
        raise KeyError(value)

    def kind(self, name: str) -> KindSpec:
        for kind in self.kinds:
            if kind.name == name:
                return kind
        raise KeyError(name)

    def modules(self, part: str) -> list[ModuleType]:
        """Each kind's module `part` (`dump`, `graph`, ...: `provisioner/kinds/<kind>/<part>.py`),
        in registry order, for the kinds that have one. Imported when asked for."""
        out = []
        for kind in self.kinds:
            name = f"{KINDS_PACKAGE}.{kind.name}.{part}"
            if importlib.util.find_spec(name) is not None:
                out.append(importlib.import_module(name))
        return out

    def links(self) -> list[Any]:
        """The kinds of link, in order."""
        return [k.link for k in self.kinds if k.link is not None]


def _ordered(kinds: tuple[KindSpec, ...]) -> tuple[KindSpec, ...]:
    """Dependencies first; otherwise the order given. A cycle or an unknown dependency is a
    programming error, found when the registry is built."""
    by_name = {k.name: k for k in kinds}
    out: list[KindSpec] = []
    state: dict[str, int] = {}

    def visit(kind: KindSpec, chain: tuple[str, ...]) -> None:
        if state.get(kind.name) == 2:
            return
        if state.get(kind.name) == 1:
            raise ValueError(f"kinds depend on each other: {' -> '.join(chain + (kind.name,))}")
        state[kind.name] = 1
        for dep in kind.depends:
            if dep not in by_name:
                raise ValueError(f"kind {kind.name} depends on unknown kind {dep}")
            visit(by_name[dep], chain + (kind.name,))
        state[kind.name] = 2
        out.append(kind)

    for kind in kinds:
        visit(kind, ())
    return tuple(out)
