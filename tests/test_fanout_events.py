"""Root-free: ansible-runner's events become per-node progress lines and NodeResults (the failing
node named as soon as its event arrives), and a multi-node result's JSON (also with failed and
unreachable nodes) validates against schemas/plan.schema.json."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import jsonschema

from provisioner.fanout import NodeResult
from provisioner.fanout_events import EventHandler, LineReporter, message
from provisioner.render.plan import fanout_to_json, plans_from_json
from sandbox import REPO

PLAN_SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())


def plan_doc(node: str, creates: int) -> dict[str, Any]:
    changes = [{"action": "create-namespace", "change": "create", "namespace": None, "target": f"namespace pod-{i}",
                "before": None, "after": None} for i in range(creates)]
    return {"format_version": 1, "lab": "two-nodes", "changes_present": bool(creates),
            "summary": {"create": creates, "change": 0, "delete": 0},
            "nodes": [{"node": node, "changes": changes, "conflicts": [], "unmanaged": [],
                       "summary": {"create": creates, "change": 0, "delete": 0}}]}


def event(kind: str, host: str, task: str, res: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": kind, "event_data": {"host": host, "task": task, "res": res or {}}}


def handler(out: io.StringIO, verbosity: int = 0) -> tuple[EventHandler, dict[str, NodeResult]]:
    nodes = {n: NodeResult(n) for n in ("node1", "node2", "node3")}

    def read(node: NodeResult, res: dict[str, Any]) -> None:
        node.plan = next(p for p in plans_from_json(res["plan"]) if p.node == node.node)

    return EventHandler(nodes, lambda res: isinstance(res.get("plan"), dict), read,
                        LineReporter("plan", verbosity, out)), nodes


def test_events_become_lines_as_they_happen() -> None:
    out = io.StringIO()
    on_event, nodes = handler(out)
    on_event(event("runner_on_start", "node1", "topo | install"))
    on_event(event("runner_on_start", "node2", "topo | install"))
    assert out.getvalue().splitlines() == ["node1: started", "node2: started"]
    on_event(event("runner_on_unreachable", "node2", "topo | install", {"msg": "ssh: connect to host 192.0.2.250 port 22: No route to host", "unreachable": True}))
    assert out.getvalue().splitlines()[-1] == "node2: FAILED in task 'topo | install': ssh: connect to host 192.0.2.250 port 22: No route to host"
    assert nodes["node2"].unreachable and nodes["node2"].error
    on_event(event("runner_on_ok", "node1", "topo | install", {"changed": False}))
    on_event(event("runner_on_ok", "node1", "topo lab", {"changed": True, "plan": plan_doc("node1", 3)}))
    assert out.getvalue().splitlines()[-1].startswith("node1: plan: Plan: 3 to create, 0 to change, 0 to delete.")
    on_event(event("runner_on_ok", "stranger", "topo lab", {"plan": plan_doc("stranger", 1)}))
    on_event.finish(list(nodes.values()))
    assert out.getvalue().splitlines()[-1].startswith("1 of 3 nodes done, failed: node2 (")
    assert nodes["node1"].plan is not None and len(nodes["node1"].plan.actions) == 3


def test_verbose_lines_name_every_task() -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    for out, v in ((quiet, 0), (loud, 1)):
        on_event, _ = handler(out, v)
        on_event(event("runner_on_ok", "node1", "topo | the node's Python", {"changed": False}))
    assert quiet.getvalue() == "" and loud.getvalue() == "node1: topo | the node's Python: ok\n"


def test_verbose_shows_each_nodes_task_and_the_steps_its_module_returned() -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    for out, v in ((quiet, 0), (loud, 1)):
        on_event, _ = handler(out, v)
        on_event(event("runner_on_ok", "node1", "topo lab", {"changed": True, "plan": plan_doc("node1", 2)}))
    summary = "node1: plan: Plan: 2 to create, 0 to change, 0 to delete."
    untimed = lambda out: [re.sub(r" \(\d+\.\ds\)$", "", line) for line in out.getvalue().splitlines()]
    assert untimed(quiet) == [summary]
    assert untimed(loud) == [
        "node1: topo lab: changed", "node1:   + (root): namespace pod-0", "node1:   + (root): namespace pod-1", summary]


def test_a_crashed_module_and_a_killed_topo_say_why() -> None:
    assert message({"msg": "MODULE FAILURE\nSee stdout/stderr for the exact error",
                    "module_stderr": "Traceback ...\nOSError: [Errno 28] No space left on device\n"}).endswith(
        ": OSError: [Errno 28] No space left on device")
    assert message({"msg": "topo failed", "rc": -9}) == "topo failed (killed by signal 9)"


def test_multi_node_json_with_failed_nodes_validates() -> None:
    ok, changed, down = NodeResult("node1"), NodeResult("node2"), NodeResult("node3")
    ok.plan = plans_from_json(plan_doc("node1", 0))[0]
    changed.plan, changed.changed = plans_from_json(plan_doc("node2", 2))[0], True
    down.error, down.unreachable, down.failed_task = "ssh: No route to host", True, "topo lab"
    doc = fanout_to_json([ok.plan, changed.plan], [ok, changed, down], {"node1": 0, "node2": 1, "node3": 0})
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert [r["status"] for r in doc["runs"]] == ["ok", "changed", "unreachable"]
    assert doc["failed_nodes"] == [{"node": "node3", "task": "topo lab", "error": "ssh: No route to host"}]
    bad = dict(doc, runs=[dict(doc["runs"][0], status="fine")])
    try:
        jsonschema.validate(bad, PLAN_SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a status the schema does not know validated")
