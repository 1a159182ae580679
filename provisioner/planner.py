"""Planner: the difference between the desired model and the live facts, as ordered actions.

Pure: it reads a `Topology`, a `LiveState` and the lab's `LabRecord`, and returns a `Plan`.
It never talks to the kernel. Each kind's diff (provisioner/kinds/<kind>/) runs in the
registry's dependency order and returns its actions and the effects they have on the kinds
after it (core/effects.py); ownership (core/ownership.py) then admits the actions that change
only the lab's objects. Ownership rules:
- a namespace is the lab's when the record lists it; everything inside it is the lab's;
- a link in a node's root namespace is the lab's when its alias is `topo:LAB`;
- a route in the root namespace is the lab's when it has topo's protocol number and the
  record lists it.
Anything else the file names that exists already was made by another tool (or another lab).
Exactly as the file says it: it is *unmanaged* and in sync, no change (topo leaves it alone,
destroy keeps it). Different from the file: a conflict naming the differences, since topo
never changes what it did not create. With `adopt` such objects are taken over instead.
"""

from __future__ import annotations

from typing import Iterable

from .core.diff import DiffContext
from .core.effects import Effects
from .core.ownership import Ownership
from .core.plan import Action, Change, Conflict, Op, Plan, Unmanaged
from .core.registry import Registry
from .kinds.netns.diff import FALLBACK_DEVICES
from .kinds.registry import REGISTRY
from .live import LiveState
from .model import Netns, Node, Place, Topology
from .state import LabRecord, alias_for

__all__ = ["Action", "Change", "Conflict", "FALLBACK_DEVICES", "Op", "Plan", "Unmanaged", "empty_topology", "make_plan"]


def make_plan(topo: Topology, node_name: str, live: LiveState, record: LabRecord | None, adopt: bool = False,
              registry: Registry = REGISTRY) -> Plan:
    """Everything to do so that node `node_name` matches `topo`."""
    node = topo.nodes[node_name]
    rec = record.copy() if record is not None else LabRecord(topo.name, node_name)
    ctx = DiffContext(topo, node, live, rec, adopt, alias_for(topo.name), registry)
    effects = Effects()
    ownership = Ownership(topo.name)
    for kind in registry.kinds:
        if kind.diff is None:
            continue
        outcome = kind.diff(ctx, effects)
        effects = effects.plus(outcome.effects)
        ownership.take(outcome, effects)
    actions = _dedupe(ownership.admitted)
    actions.sort(key=lambda a: registry.phase(a.op))
    conflicts, unmanaged = ownership.outcome(effects)
    return Plan(topo.name, node_name, actions, conflicts, rec, unmanaged)


def _dedupe(actions: Iterable[Action]) -> list[Action]:
    """One action per op and object (a link may be found in the way twice, say)."""
    seen: set[tuple[Op, object]] = set()
    out = []
    for a in actions:
        key = (a.op, a.key if a.key is not None else (a.netns, a.target))
        if key in seen:
            continue
        seen.add(key)
        out.append(a)
    return out


def empty_topology(lab: str, node: str) -> Topology:
    """The desired state of a destroyed lab: nothing."""
    return Topology(lab, {node: Node(node, Netns(Place(node)))})
