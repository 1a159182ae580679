"""Saved plans: `topo plan FILE -out PLAN` writes one, `topo apply PLAN` applies exactly it.

A saved plan is untrusted input (topo runs as root; anyone may hand over a file), so it is
data, never a list of operations to run: the topology document the plan was made from (after
templating), the plan's changes as `plan --json` prints them, and a fingerprint of the facts
the plan depends on (see `fingerprint`). Applying it validates the file against its own schema
(schemas/saved-plan.schema.json), validates the document exactly like a topology file, then,
under the node's lock, reads the machine again and plans again: the plan runs only if it is
the same (`StalePlan` otherwise, naming what differs). A file is a saved plan when it starts
with the `format` marker (`is_saved_plan`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import TopoError
from .loader import LoadedDocument, Source
from .render.plan import action_line, plan_to_json
from .sourcefile import read_text

if TYPE_CHECKING:
    from .core.plan import Plan
    from .state import LabRecord
    from .validate import ValidationResult

FORMAT = "topo-saved-plan"
FORMAT_VERSION = 1
SCHEMA_NAME = "saved-plan.schema.json"
_MARKER = re.compile(r'\A\s*\{\s*"format"\s*:\s*"' + FORMAT + '"')
_SIGNS = {"create": "+", "update": "~", "delete": "-"}


class BadSavedPlan(TopoError):
    """The file is not a saved plan topo can apply (one clear message)."""

    def __init__(self, path: Path, why: str, hint: str | None = None):
        super().__init__(f"error: {path}: not a valid saved plan: {why}" + (f"\n  hint: {hint}" if hint else ""))


class StalePlan(Exception):
    """The machine (or the lab's record) no longer matches what the saved plan was made from."""

    def __init__(self, lines: list[str]):
        super().__init__("saved plan is stale")
        self.lines = lines


@dataclass(frozen=True)
class SavedPlan:
    lab: str
    node: str
    source_path: str | None  # None: standard input
    source_sha256: str
    adopt: bool
    target: str | None
    document: dict[str, Any]
    changes: list[dict[str, Any]]
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "lab": self.lab, "node": self.node,
                "source": {"path": self.source_path, "sha256": self.source_sha256},
                "options": {"adopt": self.adopt, "target": self.target},
                "document": self.document, "changes": self.changes, "fingerprint": self.fingerprint}


def is_saved_plan(text: str) -> bool:
    """Whether a file's text is a saved plan (it starts with the marker), not a topology."""
    return _MARKER.match(text) is not None


def changes_of(plan: "Plan") -> list[dict[str, Any]]:
    node: dict[str, Any] = plan_to_json([plan])["nodes"][0]
    return list(node["changes"])


def fingerprint(plan: "Plan", record: "LabRecord | None") -> str:
    """SHA-256 of what the plan was computed from, as far as it bears on it: the changes, the
    conflicts and unmanaged objects, and the lab's record as it was read (the identities of its
    namespaces, its root routes, the sysctls' originals...). A change of the machine that alters
    none of these (a counter, another lab's link) does not make a plan stale."""
    node = plan_to_json([plan])["nodes"][0]
    rec = None if record is None else {**asdict(record), "root_routes": [k.to_record() for k in record.root_routes]}
    facts = {"changes": node["changes"], "conflicts": node["conflicts"], "unmanaged": node["unmanaged"], "record": rec}
    return "sha256:" + hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def make_saved_plan(result: "ValidationResult", plan: "Plan", record: "LabRecord | None", source_path: str | None,
                    adopt: bool, target: str | None) -> SavedPlan:
    assert result.document is not None
    doc = result.document
    try:
        data = json.loads(json.dumps(doc.data))  # the document as plain JSON data, or refused
    except (TypeError, ValueError) as exc:
        raise TopoError(f"error: {result.file}: the document cannot be saved in a plan (not JSON data: {exc})") from None
    digest = hashlib.sha256(doc.source.text.encode("utf-8", "surrogateescape")).hexdigest()
    return SavedPlan(plan.lab, plan.node, source_path, digest, adopt, target, data, changes_of(plan),
                     fingerprint(plan, record))


def write_saved_plan(path: Path, saved: SavedPlan) -> None:
    """Write the plan atomically, mode 0600, never through a symbolic link at `path`."""
    from .hostsfile import write_atomic

    try:
        write_atomic(path, json.dumps(saved.to_json(), indent=2) + "\n", mode=0o600)
    except TopoError:
        raise
    except OSError as exc:
        raise TopoError(f"error: cannot write the plan to {path}: {exc.strerror or exc}") from None


def read_saved_plan(path: Path, text: str) -> SavedPlan:
    """The saved plan in `text` (read from `path`), checked against its schema; BadSavedPlan if not."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadSavedPlan(path, f"bad JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                           "make it again with `topo plan FILE -out PLAN`") from None
    problem = _schema_problem(data)
    if problem is not None:
        raise BadSavedPlan(path, problem, "make it again with `topo plan FILE -out PLAN`")
    return SavedPlan(data["lab"], data["node"], data["source"]["path"], data["source"]["sha256"],
                     data["options"]["adopt"], data["options"]["target"], data["document"], data["changes"],
                     data["fingerprint"])


def _schema_problem(data: Any) -> str | None:
    import jsonschema

    from .validate import load_schema

    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA_NAME))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(top)"
    return f"at {where.lstrip('.')}: {error.message[:300]}"


def document_of(path: Path, saved: SavedPlan) -> LoadedDocument:
    """The plan's topology document, as a document to validate like a file (its lines are those
    of the document as JSON; messages name it `PLAN (its document)`)."""
    from .yamlpos import YamlLoadError, load_values

    text = json.dumps(saved.document, indent=2) + "\n"
    name = f"{path} (its document)"
    try:
        data = load_values(text)
    except YamlLoadError as exc:
        raise BadSavedPlan(path, f"its document cannot be read: {exc.message}") from None
    return LoadedDocument(Source(name, text, text, templated=False), data)


def source_changed(saved: SavedPlan) -> str | None:
    """Why the plan's topology file no longer is what it was planned from (None: unchanged,
    gone, or the plan was made from standard input)."""
    if saved.source_path is None:
        return None
    path = Path(saved.source_path)
    if not path.exists():
        return None
    try:
        text = read_text(path)
    except TopoError as exc:
        return f"it cannot be read to compare ({exc})"
    if hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest() != saved.source_sha256:
        return "its content is not what the plan was made from"
    return None


def stale_lines(saved: SavedPlan, plan: "Plan", record: "LabRecord | None") -> list[str] | None:
    """What differs between the saved plan and the plan of the machine as it is now; None if
    they are the same (same changes, same fingerprint)."""
    now = changes_of(plan)
    if now == saved.changes and fingerprint(plan, record) == saved.fingerprint and not plan.conflicts:
        return None
    lines = []
    for c in saved.changes:
        if c not in now:
            lines.append(f"  planned, no longer what to do: {_line(c)}")
    for c in now:
        if c not in saved.changes:
            lines.append(f"  to do now, not in the plan:    {_line(c)}")
    lines += [f"  conflict now: {c.message}" for c in plan.conflicts]
    if not lines:
        lines.append("  the lab's record (or what is left alone) changed since the plan was made")
    return lines


def _line(change: dict[str, Any]) -> str:
    """A saved change as `plan` prints an action (`+ pod-a: namespace pod-a`)."""
    from .core.plan import Action, Change, Op, Stage

    sign = Change(_SIGNS[change["change"]])
    action = Action(Op(change["action"], Stage.CONFIGURE), sign, change["namespace"], change["target"],
                    before=change["before"], after=change["after"])
    return action_line(action)

