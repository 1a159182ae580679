"""The node side of a multi-node run: one node's plan, apply or destroy from a validated document.

The controller loads, renders and validates the file (Jinja2, jsonschema: never on the node)
and sends the parsed document as JSON with what to do; this entry builds the desired model from
it (provisioner.desired.build_topology, the step after validation) and runs the engine.

    python -m provisioner.node < request.json      # or: python topo-node.pyz < request.json

The request: {"document": {...}, "node": NAME, "state": "present"|"absent", "check": bool,
"adopt": bool, "checkpoint": RENDERED_TEXT or null}; for a destroy, {"lab": NAME} may stand for
the document (the name is checked with topo's rule for lab names before anything uses it).
A request may name a `command` instead, for `topo check|show|exec -i`: "check" answers the
node's check results as `topo check --json` prints them, "show" its live objects as
`topo show --json` does (an error when the lab was never applied on the node) (exit 0, or 1 when a check failed), "exec" runs `argv` (a list of
strings) in lab namespace `namespace` as `topo exec` does, its output and exit status its own.
The node may also be given on the command line (`--node NAME`), the request then leaving it out.
Otherwise the answer on stdout is one JSON object:
{"plan": PLAN (schemas/plan.schema.json) or null, "error": MESSAGE or null, "done": N}; the
exit status is 0 (no changes), 2 (changes present or made), 1 (error or conflict).

Nothing on this path imports jsonschema, rich, click or Jinja2 (tests/test_node_payload.py).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from .diagnostics import DiagnosticSink, TopoError, YamlPath

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
STATES = ("present", "absent")
COMMANDS = ("check", "show", "exec")


@dataclass(frozen=True)
class NodeRequest:
    document: dict[str, Any] | None
    node: str
    state: str = "present"
    check: bool = False
    adopt: bool = False
    checkpoint: str | None = None
    lab: str | None = None
    command: str | None = None  # check, show or exec (COMMANDS)
    namespace: str | None = None  # exec: where
    argv: tuple[str, ...] = ()  # exec: what

    @classmethod
    def of(cls, raw: Any) -> "NodeRequest":
        """The request from its JSON form; ValueError naming what is missing or of the wrong type."""
        if not isinstance(raw, dict):
            raise ValueError("the request is not a JSON object")
        doc, node, state = raw.get("document"), raw.get("node"), raw.get("state", "present")
        lab = raw.get("lab")
        command = raw.get("command")
        if command is not None and command not in COMMANDS:
            raise ValueError(f"command must be one of {', '.join(COMMANDS)}, not {command!r}")
        if command == "exec":
            ns, argv = raw.get("namespace"), raw.get("argv")
            if not isinstance(ns, str) or not ns or not isinstance(argv, list) or not argv or \
                    not all(isinstance(a, str) for a in argv):
                raise ValueError("exec needs a namespace (a string) and argv (a list of strings)")
            return cls(None, str(node or ""), command=command, namespace=ns, argv=tuple(argv))
        if not isinstance(doc, dict) and not (state == "absent" and isinstance(lab, str) and command is None):
            raise ValueError("the request has no document (a JSON object), nor a lab to destroy")
        if not isinstance(node, str) or not node:
            raise ValueError("the request names no node")
        if state not in STATES:
            raise ValueError(f"state must be present or absent, not {state!r}")
        checkpoint = raw.get("checkpoint")
        return cls(doc if isinstance(doc, dict) else None, node, state, bool(raw.get("check")), bool(raw.get("adopt")),
                   checkpoint if isinstance(checkpoint, str) else None, lab if isinstance(lab, str) else None, command)


class _NoPositions:
    """The node has no file: every diagnostic is placed at the document's start."""

    def value_at(self, path: YamlPath) -> tuple[int, int] | None:
        return None

    def key_at(self, path: YamlPath) -> tuple[int, int] | None:
        return None


def topology_of(document: dict[str, Any]) -> Any:
    """The desired model of a document the controller validated (no schema, no templates)."""
    from .desired import build_topology
    from .diagnostics import Locator, Severity

    sink = DiagnosticSink("(sent by the controller)", Locator(_NoPositions()))
    topo = build_topology(document, sink)
    errors = [d.message for d in sink.items if d.severity is Severity.ERROR]
    if errors:
        raise ValueError("the controller's document does not build: " + "; ".join(errors))
    return topo


def run_request(req: NodeRequest) -> tuple[int, dict[str, Any]]:
    """Carry out the request on this machine: (exit status, answer)."""
    from .engine import ConflictError, NotConverged, RollbackFailed, RolledBack, RunOptions, apply_node
    from .engine import destroy_node, pick_node, plan_destroy_node, plan_node
    from .render.plan import plan_to_json
    from .planner import empty_topology
    from .roots import Roots
    from .state import check_lab_name

    roots = Roots.from_environ(os.environ)
    if req.document is None:
        assert req.lab is not None
        lab, node = check_lab_name(req.lab), req.node
        topo = empty_topology(lab, node)
    else:
        topo = topology_of(req.document)
        lab, node = topo.name, pick_node(topo, req.node)
    done = 0
    try:
        if req.state == "absent" and req.check:
            plan = plan_destroy_node(roots, lab, node)
        elif req.check:
            plan = plan_node(roots, topo, node, req.adopt)
        elif req.state == "present":
            result = apply_node(roots, topo, node, adopt=req.adopt, options=RunOptions(checkpoint=req.checkpoint))
            plan, done = result.plan, len(result.done)
        else:
            result = destroy_node(roots, lab, node)
            plan, done = result.plan, len(result.done)
    except ConflictError as exc:
        return EXIT_ERROR, {"plan": plan_to_json([exc.plan]), "error": str(exc), "done": 0}
    except NotConverged as exc:
        return EXIT_ERROR, {"plan": plan_to_json([exc.remaining]), "error": str(exc), "done": 0}
    except (RolledBack, RollbackFailed) as exc:
        return EXIT_ERROR, {"plan": None, "error": str(exc), "done": 0}
    status = EXIT_OK if plan.empty else EXIT_CHANGES
    return status, {"plan": plan_to_json([plan]), "error": None, "done": done}


def run_command(req: NodeRequest) -> tuple[int, Any]:
    """`topo check`, `show` or `exec` of the node's part of the lab: (exit status, answer)."""
    from .roots import Roots

    roots = Roots.from_environ(os.environ)
    if req.command == "exec":
        from .state import list_records, load_record

        assert req.namespace is not None
        if not any((rec := load_record(roots, lab)) and req.namespace in rec.namespaces for lab in list_records(roots)):
            raise TopoError(f"error: {req.namespace} is not a namespace of any topo lab on this machine")
        sys.stdout.flush()
        os.execvp("ip", ["ip", "netns", "exec", req.namespace, *req.argv])
    assert req.document is not None
    from .engine import pick_node

    topo = topology_of(req.document)
    node = pick_node(topo, req.node)
    if req.command == "check":
        from .probes import run_checks
        from .render.checks import to_json

        results = run_checks(topo, node)
        return (EXIT_ERROR if any(not r.passed for r in results) else EXIT_OK), to_json(topo.name, results)
    from .show.collect import read_show

    return EXIT_OK, read_show(roots, topo, node, "FILE").to_json()


def _with_node(raw: Any, argv: list[str]) -> Any:
    """The request, with the node from `--node NAME` on the command line where it names none."""
    if isinstance(raw, dict) and not raw.get("node") and len(argv) >= 2 and argv[0] == "--node":
        return {**raw, "node": argv[1]}
    return raw


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, argv: list[str] | None = None) -> int:
    try:
        req = NodeRequest.of(_with_node(json.load(stdin), sys.argv[1:] if argv is None else argv))
        if req.command is not None:
            try:
                status, result = run_command(req)
            except (ValueError, TopoError, OSError) as exc:  # a command's answer is its output: the error goes to stderr
                sys.stderr.write(f"error: {str(exc).removeprefix('error: ')}\n")
                return EXIT_ERROR
            json.dump(result, stdout)
            stdout.write("\n")
            return status
        status, answer = run_request(req)
    except (ValueError, TopoError, OSError) as exc:  # json's errors are ValueErrors
        status, answer = EXIT_ERROR, {"plan": None, "error": str(exc).removeprefix("error: "), "done": 0}
    json.dump(answer, stdout)
    stdout.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
