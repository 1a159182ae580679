"""Plans for people (Terraform style: + create, ~ change, - delete, ! conflict) and for machines (JSON)."""

from __future__ import annotations

from typing import Any

from ..names import escape
from ..core.plan import Action, Change, Conflict, Op, Plan, Unmanaged

PLAN_FORMAT_VERSION = 1
"""Version of the JSON plan format; its schema is schemas/plan.schema.json."""

_STYLE = {Change.CREATE: "green", Change.UPDATE: "yellow", Change.DELETE: "red"}


def action_line(a: Action) -> str:
    sign, _, rest = a.describe().partition(" ")
    return f"{sign} {a.where}: {rest}"


def unmanaged_line(plan: Plan) -> str | None:
    """One line on the objects in sync that another tool (or lab) made."""
    if not plan.unmanaged:
        return None
    shown = ", ".join(u.target for u in plan.unmanaged[:6])
    more = f" and {len(plan.unmanaged) - 6} more" if len(plan.unmanaged) > 6 else ""
    return (f"{len(plan.unmanaged)} object(s) already as the file says, made by another tool or lab ({shown}{more}): "
            "topo leaves them alone and destroy keeps them; apply --adopt takes them over.")


def summary_line(plan: Plan) -> str:
    c = plan.counts()
    if plan.empty:
        return f"No changes. Lab {plan.lab} on node {plan.node} matches the file."
    text = f"Plan: {c['create']} to create, {c['change']} to change, {c['delete']} to delete."
    if plan.conflicts:
        text += f" {len(plan.conflicts)} conflict(s)."
    return text


def render_plan_rich(plan: Plan) -> list[tuple[str, str]]:
    """(text, style) lines for a rich console; names from the kernel or a record printed escaped."""
    return [(escape(text), style) for text, style in _plan_lines(plan)]


def _plan_lines(plan: Plan) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for c in plan.conflicts:
        lines.append((f"! {c.netns or '(root)'}: {c.message}", "bold red"))
        lines.append((f"    hint: {c.hint}", "red"))
    for a in plan.actions:
        lines.append((action_line(a), _STYLE[a.change]))
    if lines:
        lines.append(("", ""))
    lines.append((summary_line(plan), "bold"))
    note = unmanaged_line(plan)
    if note:
        lines.append((note, "dim"))
    return lines


def render_plan_text(plan: Plan) -> str:
    return "\n".join(text for text, _ in render_plan_rich(plan)) + "\n"


def plan_to_json(plans: list[Plan]) -> dict[str, Any]:
    totals = {"create": 0, "change": 0, "delete": 0}
    nodes = []
    for plan in plans:
        counts = plan.counts()
        for k in totals:
            totals[k] += counts[k]
        nodes.append({
            "node": plan.node,
            "changes": [
                {
                    "action": a.op.value,
                    "change": {"+": "create", "~": "update", "-": "delete"}[a.change.value],
                    "namespace": a.netns,
                    "target": a.target,
                    "before": a.before,
                    "after": a.after,
                }
                for a in plan.actions
            ],
            "conflicts": [{"namespace": c.netns, "target": c.target, "message": c.message, "hint": c.hint} for c in plan.conflicts],
            "unmanaged": [{"namespace": u.netns, "target": u.target} for u in plan.unmanaged],
            "summary": counts,
        })
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "lab": plans[0].lab if plans else None,
        "changes_present": any(not p.empty for p in plans),
        "summary": totals,
        "nodes": nodes,
    }


_CHANGE_SIGNS = {"create": Change.CREATE, "update": Change.UPDATE, "delete": Change.DELETE}


def plans_from_json(doc: dict[str, Any]) -> list[Plan]:
    """Plans back from the JSON format (as the Ansible module returns them), for printing and
    scoring; the actions carry no payload, so they cannot be executed."""
    plans = []
    for node in doc.get("nodes", []):
        actions = [Action(_op(c["action"]), _CHANGE_SIGNS[c["change"]], c.get("namespace"), c["target"], None,
                          c.get("before"), c.get("after")) for c in node.get("changes", [])]
        conflicts = [Conflict(c.get("namespace"), c["target"], c["message"], c.get("hint", "")) for c in node.get("conflicts", [])]
        unmanaged = [Unmanaged(u.get("namespace"), u["target"]) for u in node.get("unmanaged", [])]
        plans.append(Plan(doc.get("lab") or "", node["node"], actions, conflicts, None, unmanaged))
    return plans


def _op(name: Any) -> Op:
    """The op of this name (ValueError for a name no kind declares, as a remote node may send)."""
    from ..kinds.registry import REGISTRY

    try:
        return REGISTRY.op_named(name)
    except KeyError:
        raise ValueError(f"unknown action {name!r}") from None


def fanout_to_json(plans: list[Plan], runs: list[Any], changed_tasks: dict[str, int]) -> dict[str, Any]:
    """The JSON plan of a multi-node run (-i): every node's plan, plus what each node of the
    run did (`runs`), the failed nodes and Ansible's changed-task counts (schemas/plan.schema.json).
    `runs` are fanout.NodeResult: node, plan, changed, error, failed_task, unreachable, seconds."""
    doc = plan_to_json(plans)
    doc["runs"] = [{"node": r.node, "status": _run_status(r), "seconds": round(r.seconds, 3),
                    "changed_tasks": changed_tasks.get(r.node, 0), "error": r.error, "task": r.failed_task} for r in runs]
    doc["failed_nodes"] = [{"node": r.node, "task": r.failed_task, "error": r.error} for r in runs if r.error is not None]
    doc["changed_tasks"] = dict(changed_tasks)
    return doc


def _run_status(run: Any) -> str:
    if run.error is not None:
        return "unreachable" if run.unreachable else "failed"
    return "changed" if run.changed or (run.plan is not None and not run.plan.empty) else "ok"
