"""`topo ls`: every lab recorded on this machine, with its file, node, counts and status."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import click

from .common import console, node_roots, require_root
from .formats import emit, format_option, structured

if TYPE_CHECKING:
    from ..roots import Roots

IN_SYNC, DRIFT, PARTIAL = "in sync", "drift", "partial"


@dataclass(frozen=True)
class LabRow:
    lab: str
    file: str | None
    node: str
    namespaces: int
    interfaces: int
    links: int
    status: str  # in sync, drift (the machine differs from the last verified apply), partial (none verified)
    changes: int  # what apply of the last verified state would do
    detail: str = ""


def lab_row(roots: "Roots", lab: str) -> LabRow:
    """LAB's row: the counts and status come from its last verified apply (its checkpoint, the
    rendered file), planned against the machine now, read-only; a lab with a record but no
    verified apply (interrupted, failed) is partial."""
    from ..checkpoint import NoCheckpoint, checkpoint_topology
    from ..engine import plan_node
    from ..state import load_record

    rec = load_record(roots, lab)
    assert rec is not None
    base = dict(lab=lab, file=rec.source, node=rec.node, namespaces=len(rec.namespaces))
    try:
        topo = checkpoint_topology(roots, lab, rec.node, existed=True)
    except NoCheckpoint as exc:
        return LabRow(**base, interfaces=0, links=0, status=PARTIAL, changes=0, detail=str(exc))
    interfaces = sum(len(ns.interfaces) for ns in topo.nodes[rec.node].all_netns())
    plan = plan_node(roots, topo, rec.node)
    changes = len(plan.actions) + len(plan.conflicts)
    return LabRow(**base, interfaces=interfaces, links=len(topo.veths), status=IN_SYNC if plan.empty else DRIFT,
                  changes=changes)


def _row_or_error(roots: "Roots", lab: str) -> LabRow:
    """A lab whose record or checkpoint cannot be read is a row saying why, not the end of ls."""
    from ..diagnostics import TopoError

    try:
        return lab_row(roots, lab)
    except TopoError as exc:
        return LabRow(lab, None, "-", 0, 0, 0, "error", 0, str(exc))


@click.command(name="ls")
@format_option("Output format: json, yaml, or wide (a table with the counts and what differs).")
def ls(fmt: str | None) -> None:
    """List every lab recorded on this machine: its file, node, counts and status
    (in sync: as its last verified apply; drift: the machine differs, `topo plan FILE` says how;
    partial: no apply of it has verified, e.g. one was interrupted).

    \b
    Examples:
      topo ls
      topo ls -o json
    """
    from rich.table import Table

    from ..state import list_records

    roots = node_roots()
    require_root()
    rows = [_row_or_error(roots, lab) for lab in list_records(roots)]
    if structured(fmt):
        emit([asdict(r) for r in rows], fmt)
        return
    if not rows:
        click.echo("No labs recorded on this machine.")
        return
    wide = fmt == "wide"
    table = Table(box=None, pad_edge=False)
    for col in ("LAB", "FILE", "NODE", "NAMESPACES", *(("INTERFACES", "LINKS", "CHANGES") if wide else ()), "STATUS"):
        table.add_column(col)
    for r in rows:
        extra = (str(r.interfaces), str(r.links), str(r.changes)) if wide else ()
        table.add_row(r.lab, r.file or "-", r.node, str(r.namespaces), *extra, r.status)
    console().print(table)
