"""Saved plans on the command line (provisioner/savedplan.py): `topo plan FILE -out PLAN`
writes one, `topo apply PLAN` applies exactly it or refuses (exit 1) naming what changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from ..diagnostics import TopoError
from ..sourcefile import is_stdin
from .common import count, echo_json, fail, no_changes_line, node_roots, print_diagnostics, progress, require_root, run_options
from .targeting import pick_target

if TYPE_CHECKING:
    from ..core.plan import Plan
    from ..savedplan import SavedPlan
    from ..state import LabRecord
    from ..validate import ValidationResult


def out_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-out", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
                        metavar="PLAN", help="Also write the plan to PLAN (mode 0600), for `topo apply PLAN` to apply "
                        "exactly it (refused if the machine or the file changed meanwhile).")(fn)


def refuse_out(out: Path | None, inventory: Path | None, destroying: bool) -> None:
    """-out where topo cannot save a plan it could apply exactly: with -i, or with --destroy."""
    if out is None:
        return
    if inventory is not None:
        fail("error: -out saves one node's plan: with -i (every node through Ansible) topo cannot re-check each "
             "node's machine at apply time, so it does not write one; give --node NAME on the node, or leave out -out")
    if destroying:
        fail("error: -out with --destroy is not supported: run `topo destroy FILE` (it shows its plan first)")


def save_plan(out: Path, checked: "ValidationResult", plan: "Plan", record: "LabRecord | None", file: Path, adopt: bool,
              target: str | None) -> None:
    """Write `plan` to `out`; a plan with conflicts is not saved (apply would refuse it)."""
    from ..savedplan import make_saved_plan, write_saved_plan

    if plan.conflicts:
        click.echo(f"note: the plan has conflicts: not saved to {out}", err=True)
        return
    source = None if is_stdin(file) else str(file.resolve())
    write_saved_plan(out, make_saved_plan(checked, plan, record, source, adopt, target))
    click.echo(f"Saved the plan to {out}: `topo apply {out}` applies exactly it.", err=True)


def saved_plan_text(file: Path) -> str | None:
    """The text of FILE if it is a saved plan (it starts with the saved plan's marker)."""
    from ..savedplan import is_saved_plan
    from ..sourcefile import read_text

    if is_stdin(file):
        return None
    try:
        text = read_text(file)
    except TopoError:
        return None  # loading it as a topology says what is wrong
    return text if is_saved_plan(text) else None


def _refuse_options(given: dict[str, Any]) -> None:
    wrong = [name for name, value in given.items() if value]
    if wrong:
        fail(f"error: {', '.join(wrong)}: not with a saved plan (it carries the document, node and options it was "
             "made with); plan again with them")


def _checked(file: Path, saved: "SavedPlan") -> "ValidationResult":
    """The plan's document, validated exactly like a topology file; exit 1 with its diagnostics if not valid."""
    from ..savedplan import document_of
    from ..validate import validate_document

    try:
        result = validate_document(document_of(file, saved))
    except TopoError as exc:
        fail(str(exc))
    if not result.ok or result.topology is None:
        print_diagnostics(result.diagnostics)
        fail(f"error: {file}: not a valid saved plan: its document is not a valid topology (above)")
    topo = result.topology
    if topo.name != saved.lab or saved.node not in topo.nodes:
        fail(f"error: {file}: not a valid saved plan: it is for lab {saved.lab} node {saved.node}, its document is "
             f"lab {topo.name} with nodes {', '.join(topo.nodes)}")
    return result


def apply_saved(file: Path, text: str, given: dict[str, Any], node: str | None, as_json: bool, quiet: bool,
                no_wait: bool, rollback: bool) -> None:
    """`topo apply PLAN`: exactly the saved plan, or exit 1 naming what changed."""
    from ..checkpoint import NoCheckpoint
    from ..engine import ConflictError, NotConverged, RollbackFailed, RolledBack, apply_node
    from ..render.plan import plan_to_json
    from ..savedplan import StalePlan, read_saved_plan, source_changed, stale_lines
    from .lifecycle import _apply_failed

    _refuse_options(given)
    try:
        saved = read_saved_plan(file, text)
    except TopoError as exc:
        fail(str(exc))
    if node is not None and node != saved.node:
        fail(f"error: {file} is a plan for node {saved.node}, not {node}")
    result = _checked(file, saved)
    topo = result.topology
    assert topo is not None and result.document is not None
    shown = saved.source_path or "<stdin>"
    if (why := source_changed(saved)) is not None:
        fail(f"error: saved plan {file} is stale: the topology file {shown} changed since the plan was made: {why}",
             f"  hint: plan again: topo plan {shown} -out {file}")
    if saved.source_path is not None and not Path(saved.source_path).exists() and not quiet:
        click.echo(f"note: the plan's topology file {shown} is gone; applying the document the plan carries", err=True)
    roots = node_roots()
    require_root()
    target = pick_target(topo, saved.node, saved.target, quiet=quiet, rollback=rollback)

    def expect(plan: "Plan", record: "LabRecord | None") -> None:
        lines = stale_lines(saved, plan, record)
        if lines is not None:
            raise StalePlan(lines)

    options = replace(run_options(no_wait), rollback=rollback, target=target, expect=expect,
                      checkpoint=None if target is not None else result.document.source.rendered)
    try:
        with progress(quiet, as_json) as bar:
            done = apply_node(roots, topo, saved.node, adopt=saved.adopt, source=saved.source_path, on_plan=bar.on_plan,
                              progress=bar.advance, options=replace(options, on_rollback=bar.on_rollback))
    except StalePlan as exc:
        fail(f"error: saved plan {file} is stale: the machine no longer matches the state it was made from; "
             "nothing was changed", *exc.lines, f"  hint: plan again: topo plan {shown} -out {file}")
    except (ConflictError, NoCheckpoint, NotConverged, RolledBack, RollbackFailed) as exc:
        _apply_failed(exc, topo.name, Path(shown), as_json)
    if as_json:
        echo_json(plan_to_json([done.plan]))
    elif done.plan.empty:
        click.echo(no_changes_line(Path(shown)))
    else:
        click.echo(f"Apply complete: {count(len(done.done), 'action')} of saved plan {file}; verified.")

