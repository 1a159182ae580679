"""Engine: runs plan / apply / destroy for one node, wiring the layers in one direction:
desired model -> live facts -> planner -> executor -> verifier, with the ownership record.
Every entry takes the node's filesystem roots (roots.py) and passes them on: to the record,
the lock, and the namespace pool (which carries them to the live reader and the executor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Callable

from .checkpoint import checkpoint_topology, delete_checkpoint, load_checkpoint, save_checkpoint
from .core.plan import ActionFailed
from .diagnostics import TopoError
from .executor import Executor
from .kinds.bridge.original import restore_bridges
from .kinds.sysctl.read import to_read
from .interrupt import stop_at_boundaries
from .lock import node_lock
from .live import LiveState, read_live
from .model import Topology
from .netns import NetnsPool, list_netns, netns_inode
from .processes import forget_lab
from .check_results import forget_results
from .profile import phase
from .kinds.registry import REGISTRY
from .planner import FALLBACK_DEVICES, Action, Plan, empty_topology, make_plan
from .names import namespace_name_problem
from .roots import Roots
from .state import RECORD_VERSION, LabRecord, alias_for, delete_record, list_records, load_record, save_record, set_record_aside
from .verifier import verify

if TYPE_CHECKING:
    from .interrupt import StopFlag
    from .targets import Target


class ConflictError(Exception):
    def __init__(self, plan: Plan):
        super().__init__("conflicts: " + "; ".join(c.message for c in plan.conflicts))
        self.plan = plan


class NotConverged(Exception):
    def __init__(self, remaining: Plan):
        super().__init__("not converged: " + "; ".join(a.target for a in remaining.actions))
        self.remaining = remaining


class RollbackTarget(Enum):
    """Where a rollback took the lab, as verified afterwards."""

    REMOVED = "removed"  # the failed run created the lab: nothing of it is left
    CHECKPOINT = "checkpoint"  # the lab's last verified apply (of another file than this run's)
    SAME_FILE = "same-file"  # the last verified apply was of this very file: going back applied it again


class RolledBack(Exception):
    """Apply failed and the lab was returned to `target` (verified); `cause` says what failed."""

    def __init__(self, cause: Exception, rollback: "ApplyResult", target: RollbackTarget):
        super().__init__(f"{cause}; rolled back ({len(rollback.done)} actions)")
        self.cause = cause
        self.rollback = rollback
        self.target = target


class RollbackFailed(Exception):
    """Apply failed, and so did the way back: the machine is as far as both got (`rollback`:
    the plan back and what of it was done)."""

    def __init__(self, cause: Exception, error: Exception, rollback: "ApplyResult | None" = None):
        super().__init__(f"{cause}; rollback failed too: {error}")
        self.cause = cause
        self.error = error
        self.rollback = rollback


@dataclass
class ApplyResult:
    plan: Plan
    done: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # destroy: what it set back on others' objects, and could not


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
    sysctls: dict[str | None, set[str]] = {ns.place.netns: to_read(ns.sysctls) for ns in n.all_netns()}
    # the root namespace tells whether a namespace's keys exist before the namespace does
    sysctls.setdefault(None, set()).update(*(to_read(ns.sysctls) for ns in n.namespaces.values()),
                                           record.sysctls if record else ())
    # namespaces the file no longer has are only read as far as deleting them needs
    live = read_live(pool, topo.name, set(n.namespaces) | recorded, sysctls, doomed=recorded - set(n.namespaces),
                     node_hosts=bool(n.root.hosts), known_ids=record.netns_ids if record else None)
    live.other_labs = _other_labs(pool.roots, topo.name)
    names = set(n.namespaces) | recorded
    live.facts = {k.name: k.facts(pool, topo.name, names) for k in REGISTRY.kinds if k.facts is not None}
    return live


def _other_labs(roots: Roots, lab: str) -> dict[str, LabRecord]:
    """The records of the machine's other labs (what they set and use that this lab may share;
    a record that cannot be read is left out: its lab's own runs report it)."""
    out = {}
    for other in list_records(roots):
        if other == lab:
            continue
        try:
            rec = load_record(roots, other)
        except TopoError:
            continue
        if rec is not None:
            out[other] = rec
    return out


def plan_node(roots: Roots, topo: Topology, node: str, adopt: bool = False, target: "Target | None" = None) -> Plan:
    """Read-only: what apply would do (only about `target`, if given). Never changes the machine."""
    record = load_record(roots, topo.name)
    with NetnsPool(roots) as pool:
        return _narrowed(_read_and_plan(pool, topo, node, record, adopt), target, record)


def _narrowed(plan: Plan, target: "Target | None", before: LabRecord | None) -> Plan:
    return plan if target is None else target.narrow(plan, before)


def _read_and_plan(pool: NetnsPool, topo: Topology, node: str, record: LabRecord | None, adopt: bool = False) -> Plan:
    with phase("read"):
        live = _read(pool, topo, node, record)
    with phase("plan"):
        return make_plan(topo, node, live, record, adopt)


def _verify(pool: NetnsPool, topo: Topology, node: str, record: LabRecord) -> Plan:
    with phase("verify"):
        return verify(topo, node, _read(pool, topo, node, record), record)


def _intent(old: LabRecord | None, new: LabRecord) -> LabRecord:
    """A record covering both what exists now and what the plan will create."""
    rec = new.copy()
    if old is not None:
        rec.namespaces = sorted(set(old.namespaces) | set(new.namespaces))
        rec.root_routes = list(dict.fromkeys(old.root_routes + new.root_routes))  # save_record sorts them
        rec.root_rules = old.root_rules + [r for r in new.root_rules if r not in old.root_rules]
        rec.sysctls = {**old.sysctls, **new.sysctls}
    return rec


@dataclass(frozen=True)
class RunOptions:
    """How a changing command behaves around other runs and signals."""

    wait: bool = True  # wait for another run's lock (False: fail at once)
    notify: Callable[[str], None] | None = None  # told when waiting for the lock
    rollback: bool = False  # apply: on failure, return the lab to its checkpoint
    checkpoint: str | None = None  # apply: the rendered file, kept as the checkpoint once verified
    on_rollback: Callable[[Plan], None] | None = None  # apply --rollback: told the plan back before it runs
    target: "Target | None" = None  # --target: only this object and what depends on it (targets.py)
    # apply PLAN: told the plan (and the record it was made with) before anything changes; raises to refuse it
    expect: Callable[[Plan, LabRecord | None], None] | None = None


def apply_node(roots: Roots, topo: Topology, node: str, *, adopt: bool = False, source: str | None = None,
               progress: Callable[[Action], None] | None = None, on_plan: Callable[[Plan], None] | None = None,
               options: RunOptions = RunOptions()) -> ApplyResult:
    with node_lock(roots.run_dir, options.wait, options.notify), stop_at_boundaries() as stop:
        return _apply(roots, topo, node, adopt, source, progress, on_plan, stop, options)


def _apply(roots: Roots, topo: Topology, node: str, adopt: bool, source: str | None, progress: Callable[[Action], None] | None,
           on_plan: Callable[[Plan], None] | None, stop: "StopFlag", options: RunOptions) -> ApplyResult:
    record = load_record(roots, topo.name)
    with NetnsPool(roots) as pool:
        plan = _narrowed(_read_and_plan(pool, topo, node, record, adopt), options.target, record)
        if options.expect is not None:
            options.expect(plan, record)
        if on_plan is not None:
            on_plan(plan)
        if plan.conflicts:
            raise ConflictError(plan)
        assert plan.record is not None
        plan.record.source = source or (record.source if record else None)
        back = None
        if options.rollback and plan.actions:
            # the way back is known before anything changes; without it, refuse to start
            back = checkpoint_topology(roots, topo.name, node, existed=record is not None)
        if not plan.actions:
            if record is None or record != plan.record or record.version < RECORD_VERSION:
                save_record(roots, plan.record)  # (an older record is written anew in this release's form)
            _keep_checkpoint(roots, topo.name, options)
            return ApplyResult(plan)
        save_record(roots, _intent(record, plan.record))
        ex = Executor(pool, topo.name, progress, stop=stop)
        try:
            with phase("execute"):
                ex.run(plan)
            plan.record.verified.update(ex.verified)
            save_record(roots, plan.record)
            remaining = _narrowed(_verify(pool, topo, node, plan.record), options.target, record)
            if not remaining.empty:
                raise NotConverged(remaining)
            _keep_verified(roots, plan.record, remaining)
        except (ActionFailed, NotConverged) as failure:
            if back is None:
                raise
            target = _rollback_target(roots, topo.name, record is not None, options)
            raise _roll_back(pool, back, node, failure, progress, stop, target, options.on_rollback) from failure
        _keep_checkpoint(roots, topo.name, options)
        return ApplyResult(plan, ex.done)


def _keep_verified(roots: Roots, record: LabRecord, verified: Plan) -> None:
    """What the verification found equal (the kinds' fingerprints), kept for the next run."""
    if verified.record is not None and verified.record.verified != record.verified:
        record.verified = dict(verified.record.verified)
        save_record(roots, record)


def _keep_checkpoint(roots: Roots, lab: str, options: RunOptions) -> None:
    if options.checkpoint is not None:
        save_checkpoint(roots, lab, options.checkpoint)


def _rollback_target(roots: Roots, lab: str, existed: bool, options: RunOptions) -> RollbackTarget:
    """Where a rollback of this run would take the lab."""
    if not existed:
        return RollbackTarget.REMOVED
    same = options.checkpoint is not None and load_checkpoint(roots, lab) == options.checkpoint
    return RollbackTarget.SAME_FILE if same else RollbackTarget.CHECKPOINT


def _roll_back(pool: NetnsPool, back: Topology, node: str, failure: Exception, progress: Callable[[Action], None] | None,
               stop: "StopFlag", target: RollbackTarget, on_rollback: Callable[[Plan], None] | None) -> Exception:
    """Plan from what is there now to the checkpoint, run it, verify; the error to raise."""
    roots = pool.roots
    record = load_record(roots, back.name)  # the intent record: covers everything the failed run made
    plan, ex = None, None
    try:
        plan = make_plan(back, node, _read(pool, back, node, record), record, adopt=False)
        assert plan.record is not None
        if on_rollback is not None:
            on_rollback(plan)
        ex = Executor(pool, back.name, progress, stop=stop)
        ex.run(plan)
        remaining = verify(back, node, _read(pool, back, node, plan.record), plan.record)
        if not remaining.empty:
            raise NotConverged(remaining)
        plan.record.verified = dict(remaining.record.verified) if remaining.record is not None else {}
    except (ActionFailed, NotConverged) as error:
        return RollbackFailed(failure, error, None if plan is None else ApplyResult(plan, ex.done if ex else []))
    if target is RollbackTarget.REMOVED:  # the failed run created the lab: nothing of it is left
        delete_record(roots, back.name)
        delete_checkpoint(roots, back.name)
    else:
        save_record(roots, plan.record)
    return RolledBack(failure, ApplyResult(plan, ex.done), target)


def destroy_node(roots: Roots, lab: str, node: str, *, progress: Callable[[Action], None] | None = None,
                 on_plan: Callable[[Plan], None] | None = None, options: RunOptions = RunOptions(),
                 from_kernel: bool = False) -> ApplyResult:
    """Remove everything the lab's record and marks name on this node, and nothing else.
    `from_kernel`: the record is not read (it is corrupt or lost): only what the kernel's
    marks say is the lab's goes, and the record is set aside."""
    with node_lock(roots.run_dir, options.wait, options.notify), stop_at_boundaries() as stop:
        return _destroy(roots, lab, node, progress, on_plan, stop, from_kernel, options.target)


def _marked_namespaces(pool: NetnsPool, lab: str) -> list[str]:
    """Namespaces the kernel's marks say are the lab's: its lo carries the lab's alias (topo
    marks every namespace it creates so), or, in a namespace made before there was that mark,
    all its links (at least one) do."""
    alias, out = alias_for(lab), []
    run_dir = pool.roots.netns_run
    for name in list_netns(run_dir):
        if namespace_name_problem(name) is not None or netns_inode(run_dir, name, pinned=True) is None:
            continue
        links = pool.socket(name).links()
        others = [r for r in links if r.name != "lo" and r.name not in FALLBACK_DEVICES]
        if any(r.name == "lo" and r.alias == alias for r in links) or (others and all(r.alias == alias for r in others)):
            out.append(name)
    return out


def _destroy(roots: Roots, lab: str, node: str, progress: Callable[[Action], None] | None, on_plan: Callable[[Plan], None] | None,
             stop: "StopFlag", from_kernel: bool, target: "Target | None" = None) -> ApplyResult:
    topo = empty_topology(lab, node)
    before = load_record(roots, lab) if target is not None else None
    with NetnsPool(roots) as pool:
        if from_kernel:
            record = LabRecord(lab, node, _marked_namespaces(pool, lab))
            plan = _read_and_plan(pool, topo, node, record)
        else:
            with phase("read"):
                plan = _narrowed(_destroy_plan(pool, topo, node), target, before)
        if on_plan is not None:
            on_plan(plan)
        ex = Executor(pool, lab, progress, stop=stop)
        with phase("execute"):
            ex.run(plan)
        assert plan.record is not None
        notes = restore_bridges(pool, plan.record)  # the lab's ports have left them
        remaining = _narrowed(_verify(pool, topo, node, plan.record), target, before)
        if not remaining.empty:
            raise NotConverged(remaining)
    if target is not None and before is not None:  # the rest of the lab stays
        save_record(roots, target.record_after_destroy(before))
        return ApplyResult(plan, ex.done, notes)
    if from_kernel:
        set_record_aside(roots, lab)
    delete_record(roots, lab)
    delete_checkpoint(roots, lab)
    forget_lab(roots, lab)
    forget_results(roots, lab)
    return ApplyResult(plan, ex.done, notes)


def _destroy_plan(pool: NetnsPool, empty: Topology, node: str) -> Plan:
    """What removing everything the lab's record and marks name on this node takes."""
    record = load_record(pool.roots, empty.name) or LabRecord(empty.name, node)
    return make_plan(empty, node, _read(pool, empty, node, record), record)


def plan_destroy_node(roots: Roots, lab: str, node: str, target: "Target | None" = None) -> Plan:
    """Read-only: what destroy would remove (only of `target`, if given)."""
    with NetnsPool(roots) as pool:
        plan = _destroy_plan(pool, empty_topology(lab, node), node)
        return _narrowed(plan, target, load_record(roots, lab) if target is not None else None)


def read_node(roots: Roots, topo: Topology, node: str) -> LiveState:
    record = load_record(roots, topo.name)
    with NetnsPool(roots) as pool:
        return _read(pool, topo, node, record)
