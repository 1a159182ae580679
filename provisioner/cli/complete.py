"""Shell completion of what is recorded on this machine: lab names (`destroy --lab`) and lab
namespaces (`exec`). Read-only; a record that cannot be read (not root, corrupt) offers nothing."""

from __future__ import annotations

from typing import Iterator

import click
from click.shell_completion import CompletionItem

from .common import node_roots


def _records() -> Iterator[tuple[str, list[str]]]:
    from ..diagnostics import TopoError
    from ..state import list_records, load_record

    roots = node_roots()
    try:
        labs = list_records(roots)
    except OSError:
        return
    for lab in labs:
        try:
            rec = load_record(roots, lab)
        except (OSError, TopoError):
            continue
        yield lab, [] if rec is None else list(rec.namespaces)


def complete_labs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(lab) for lab, _ in _records() if lab.startswith(incomplete)]


def complete_namespaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    names = sorted({ns for _, nss in _records() for ns in nss})
    return [CompletionItem(ns) for ns in names if ns.startswith(incomplete)]
