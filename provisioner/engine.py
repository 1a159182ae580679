"""Engine: runs plan / apply / destroy for one node, wiring the layers in one direction:
desired model -> live facts -> planner -> executor -> verifier, with the ownership record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .executor import ActionFailed, Executor
from .interrupt import stop_at_boundaries
from .lock import node_lock
from .live import LiveState, read_live
from .model import Topology
from .netns import NetnsPool
from .planner import Action, Plan, empty_topology, make_plan
from .state import LabRecord, delete_record, load_record, save_record
from .verifier import verify

if TYPE_CHECKING:
    from .interrupt import StopFlag


class ConflictError(Exception):
    def __init__(self, plan: Plan):
        super().__init__("conflicts: " + "; ".join(c.message for c in plan.conflicts))
        self.plan = plan


class NotConverged(Exception):
    def __init__(self, remaining: Plan):
        super().__init__("not converged: " + "; ".join(a.target for a in remaining.actions))
        self.remaining = remaining


@dataclass
class ApplyResult:
    plan: Plan
    done: list[Action] = field(default_factory=list)


def pick_node(topo: Topology, node: str | None) -> str:
    if node is not None:
        if node not in topo.nodes:
            raise ValueError(f"lab {topo.name} has no node '{node}' (nodes: {', '.join(topo.nodes)})")
        return node
    if len(topo.nodes) == 1:
        return next(iter(topo.nodes))
    raise ValueError(f"lab {topo.name} spans nodes {', '.join(topo.nodes)}: pass --node NAME, or -i INVENTORY to go through Ansible")


def _read(pool: NetnsPool, topo: Topology, node: str, record: LabRecord | None) -> LiveState:
    n = topo.nodes[node]
    recorded = set(record.namespaces if record else ())
    sysctls: dict[str | None, set[str]] = {ns.place.netns: set(ns.sysctls) for ns in n.all_netns()}
    sysctls.setdefault(None, set()).update(record.sysctls if record else ())
    # namespaces the file no longer has are only read as far as deleting them needs
    return read_live(pool, topo.name, set(n.namespaces) | recorded, sysctls, doomed=recorded - set(n.namespaces))


def plan_node(topo: Topology, node: str, adopt: bool = False) -> Plan:
    """Read-only: what apply would do. Never changes the machine."""
    record = load_record(topo.name)
    with NetnsPool() as pool:
        return make_plan(topo, node, _read(pool, topo, node, record), record, adopt)


def _intent(old: LabRecord | None, new: LabRecord) -> LabRecord:
    """A record covering both what exists now and what the plan will create."""
    rec = new.copy()
    if old is not None:
        rec.namespaces = sorted(set(old.namespaces) | set(new.namespaces))
        rec.root_routes = sorted(set(old.root_routes) | set(new.root_routes))
        rec.sysctls = {**old.sysctls, **new.sysctls}
    return rec


@dataclass(frozen=True)
class RunOptions:
    """How a changing command behaves around other runs and signals."""

    wait: bool = True  # wait for another run's lock (False: fail at once)
    notify: Callable[[str], None] | None = None  # told when waiting for the lock


def apply_node(topo: Topology, node: str, *, adopt: bool = False, source: str | None = None,
               progress: Callable[[Action], None] | None = None, on_plan: Callable[[Plan], None] | None = None,
               options: RunOptions = RunOptions()) -> ApplyResult:
    with node_lock(options.wait, options.notify), stop_at_boundaries() as stop:
        return _apply(topo, node, adopt, source, progress, on_plan, stop)


def _apply(topo: Topology, node: str, adopt: bool, source: str | None, progress: Callable[[Action], None] | None,
           on_plan: Callable[[Plan], None] | None, stop: "StopFlag") -> ApplyResult:
    record = load_record(topo.name)
    with NetnsPool() as pool:
        plan = make_plan(topo, node, _read(pool, topo, node, record), record, adopt)
        if on_plan is not None:
            on_plan(plan)
        if plan.conflicts:
            raise ConflictError(plan)
        assert plan.record is not None
        plan.record.source = source or (record.source if record else None)
        if not plan.actions:
            if record is None or record != plan.record:
                save_record(plan.record)
            return ApplyResult(plan)
        save_record(_intent(record, plan.record))
        ex = Executor(pool, topo.name, progress, stop=stop)
        try:
            ex.run(plan)
        except ActionFailed:
            raise
        save_record(plan.record)
        remaining = verify(topo, node, _read(pool, topo, node, plan.record), plan.record)
        if not remaining.empty:
            raise NotConverged(remaining)
        return ApplyResult(plan, ex.done)


def destroy_node(lab: str, node: str, *, progress: Callable[[Action], None] | None = None,
                 on_plan: Callable[[Plan], None] | None = None, options: RunOptions = RunOptions()) -> ApplyResult:
    """Remove everything the lab's record and marks name on this node, and nothing else."""
    with node_lock(options.wait, options.notify), stop_at_boundaries() as stop:
        return _destroy(lab, node, progress, on_plan, stop)


def _destroy(lab: str, node: str, progress: Callable[[Action], None] | None, on_plan: Callable[[Plan], None] | None,
             stop: "StopFlag") -> ApplyResult:
    record = load_record(lab) or LabRecord(lab, node)
    topo = empty_topology(lab, node)
    with NetnsPool() as pool:
        plan = make_plan(topo, node, _read(pool, topo, node, record), record)
        if on_plan is not None:
            on_plan(plan)
        ex = Executor(pool, lab, progress, stop=stop)
        ex.run(plan)
        remaining = verify(topo, node, _read(pool, topo, node, plan.record), plan.record)  # type: ignore[arg-type]
        if not remaining.empty:
            raise NotConverged(remaining)
    delete_record(lab)
    return ApplyResult(plan, ex.done)


def read_node(topo: Topology, node: str) -> LiveState:
    record = load_record(topo.name)
    with NetnsPool() as pool:
        return _read(pool, topo, node, record)
