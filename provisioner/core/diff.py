"""What a kind's diff reads (`DiffContext`) and what it returns (`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from .effects import Effect, Effects, ForeignNamespace
from .keys import LinkKey, ObjectKey
from .plan import Action, Change, Conflict, Op, Unmanaged

if TYPE_CHECKING:
    from ..live import LiveNetns, LiveState
    from ..model import Netns, Node, Topology
    from ..state import LabRecord


@dataclass(frozen=True)
class DiffContext:
    """The desired model, the live facts and the lab's record. The record is the plan's copy:
    each kind updates only its own part of it (namespaces, root routes, sysctl originals)."""

    topo: "Topology"
    node: "Node"
    live: "LiveState"
    record: "LabRecord"
    adopt: bool
    alias: str  # the mark on the lab's links: topo:LAB
    registry: Any = None  # the kinds (core.registry.Registry), for a diff that asks its members

    def live_ns(self, netns: str | None, effects: Effects) -> "LiveNetns | None":
        """The namespace as it is now (its links the plan renames under their new names); None
        when it does not exist or the plan makes it anew."""
        if effects.made(netns):
            return None
        live = self.live.netns(netns)
        renames = effects.renames(netns)
        return live.renamed(renames) if live is not None and renames else live

    def scope(self, effects: Effects) -> set[str]:
        """The namespaces whose insides are compared with the file: the lab's, and foreign ones
        (whose differences are conflicts); the root namespace always is."""
        return set(self.record.namespaces) | {f.name for f in effects.of_type(ForeignNamespace)}

    def scoped(self, effects: Effects) -> Iterator["Netns"]:
        """The node's namespaces (root first) whose insides are compared with the file."""
        names = self.scope(effects)
        return (ns for ns in self.node.all_netns() if ns.place.netns is None or ns.place.netns in names)


@dataclass(frozen=True)
class ForeignDiff:
    """How an object that is not the lab's would have to change to match the file."""

    subject: ObjectKey
    label: str  # "namespace pod-a", "link br0", "route 10.0.0.0/8"
    netns: str | None
    change: str  # an action's description


@dataclass
class Outcome:
    """One kind's result: its actions (before ownership is applied), effects and findings."""

    actions: list[Action] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    foreign: list[ForeignDiff] = field(default_factory=list)

    def add(self, op: Op, change: Change, netns: str | None, target: str, payload: Any = None,
            before: str | None = None, after: str | None = None, *, key: ObjectKey | None = None,
            links: tuple[LinkKey, ...] = ()) -> None:
        self.actions.append(Action(op, change, netns, target, payload, before, after, key, links))

    def effect(self, *effects: Effect) -> None:
        self.effects.extend(effects)

    def conflict(self, netns: str | None, target: str, message: str, hint: str,
                 path: tuple[str | int, ...] | None = None) -> None:
        self.conflicts.append(Conflict(netns, target, message, hint, path))

    def merge(self, other: "Outcome") -> None:
        self.actions += other.actions
        self.effects += other.effects
        self.conflicts += other.conflicts
        self.unmanaged += other.unmanaged
        self.foreign += other.foreign
