"""Lesson stages on the command line: `topo stages FILE`, the `--stage NAME` option of plan,
apply and check (and its completion), `apply --reset`, and the stage the lab's record keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click
from click.shell_completion import CompletionItem

from .common import console, file_argument, load_valid, node_roots, quiet_option, template_options
from .formats import emit, format_option, structured

if TYPE_CHECKING:
    from ..engine import RunOptions
    from ..lesson_validate import Lesson
    from ..roots import Roots
    from ..validate import ValidationResult


def complete_stages(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The stage names of the FILE on the command line (and `base`): the file is only parsed
    (no template variables, no validation); anything wrong offers nothing."""
    from ..lesson import BASE

    file = ctx.params.get("file")
    if not isinstance(file, Path):
        return []
    try:
        from ..loader import load

        raw = load(file).data.get("stages")
        names = [BASE] + [s["name"] for s in raw if isinstance(s, dict) and isinstance(s.get("name"), str)]
    except Exception:  # noqa: BLE001 - completion must never fail, whatever the file holds
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def stage_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--stage", default=None, metavar="NAME", shell_complete=complete_stages, help=help)


def stage_shown(file: Path, stage: str | None) -> str:
    """What a stage's lab is called in messages: `stage veth of FILE`, or FILE."""
    from ..sourcefile import display_name

    shown = display_name(file)
    return shown if stage is None else f"stage {stage} of {shown}"


def applied_stage(result: "ValidationResult", stage: str | None) -> str | None:
    """What the record keeps after applying `result`: the stage (`base` without --stage) of a
    file with stages; None for a file without."""
    from ..lesson import BASE

    if result.lesson is None:
        return None
    return stage or BASE


def record_stage(roots: "Roots", lab: str, stage: str | None) -> None:
    """Note in the lab's record which stage the apply that just verified brought it to."""
    from ..state import load_record, save_record

    rec = load_record(roots, lab)
    if rec is not None and rec.stage != stage:
        rec.stage = stage
        save_record(roots, rec)


def reset_lab(roots: "Roots", lab: str, node: str, options: "RunOptions", quiet: bool) -> None:
    """`apply --reset`: destroy the lab first, so that the stage is built from nothing."""
    from ..engine import destroy_node

    result = destroy_node(roots, lab, node, options=options)
    if not quiet:
        click.echo(f"Reset: lab {lab} destroyed ({len(result.done)} actions); applying the stage from nothing.", err=True)


def current_stage(roots: "Roots", lab: str, lesson: "Lesson") -> str | None:
    """The stage the lab's record says was applied last, if it is one of this file's (a
    record is untrusted input: a name the file has not is not believed); None when unknown."""
    import os

    from ..diagnostics import TopoError
    from ..state import load_record

    if os.geteuid() != 0:
        return None
    try:
        rec = load_record(roots, lab)
    except (OSError, TopoError) as exc:
        click.echo(f"note: the current stage is not known: {str(exc).splitlines()[0].removeprefix('error: ')}", err=True)
        return None
    if rec is None or rec.stage not in lesson.names:
        return None
    return rec.stage


@dataclass(frozen=True)
class StageRow:
    name: str
    description: str
    checks: int  # checks of the stage's lab (the base's and those of every stage up to it)
    current: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "checks": self.checks, "current": self.current}


def stage_rows(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], result: "ValidationResult",
               current: str | None) -> list[StageRow]:
    from ..lesson import BASE

    assert result.lesson is not None and result.topology is not None
    described = {BASE: result.topology.description or "the lab without stages"}
    described.update({s.name: s.description for s in result.lesson.stages})
    rows = []
    for name in result.lesson.names:
        topo = result.topology if name == BASE else load_valid(file, var_pairs, vars_files, True, name).topology
        rows.append(StageRow(name, described[name], len(topo.checks) if topo else 0, name == current))
    return rows


@click.command()
@file_argument()
@template_options
@format_option("Output format: json or yaml (the stages), wide (the table).")
@quiet_option("No warnings about the file.")
def stages(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], fmt: str | None, quiet: bool) -> None:
    """List the lesson stages of FILE (`stages:`), the one the lab is at marked with `*`.

    \b
    The first row, `base`, is the lab without any stage (what FILE is without --stage); its
    description is the file's.
    The current stage is read from the lab's record on this machine (as root; else unknown).
    Examples:
      topo stages topologies/15-workshop-stages.yaml
      topo apply topologies/15-workshop-stages.yaml --stage veth
      topo stages topologies/15-workshop-stages.yaml -o json
    """
    from ..names import escape

    result = load_valid(file, var_pairs, vars_files, quiet)
    topo = result.topology
    assert topo is not None
    if result.lesson is None:
        click.echo(f"{file} has no stages: (see `stages:` in the README's Lesson stages)", err=True)
        raise SystemExit(1)
    current = current_stage(node_roots(), topo.name, result.lesson)
    rows = stage_rows(file, var_pairs, vars_files, result, current)
    if structured(fmt):
        emit({"lab": topo.name, "current": current, "stages": [r.to_json() for r in rows]}, fmt or "json")
        return
    out = console()
    width = max(len(r.name) for r in rows)
    for r in rows:
        out.print(f"{'*' if r.current else ' '} {r.name:<{width}}  {r.checks:>2} checks  {escape(r.description)}", markup=False)
    if current is None:
        out.print(f"(lab {topo.name} is not at any of these stages on this machine, or it is not known)", markup=False)
