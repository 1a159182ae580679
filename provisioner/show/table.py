"""`topo show` as rich tables: the interfaces (render/table.py), then the namespaces' routes,
neighbours, processes and hosts entries. Every value is printed as text (rich.text.Text,
control characters escaped): a name from the kernel or a file never styles the output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..names import escape
from ..render.table import render_table as render_interfaces
from .collect import LabShow

if TYPE_CHECKING:
    from rich.console import Console

ROUTE_COLUMNS = ("namespace", "to", "via", "dev", "table")
ROUTE_WIDE = ("metric", "proto", "src", "type")
NEIGHBOUR_COLUMNS = ("namespace", "address", "dev", "lladdr", "state")
PROCESS_COLUMNS = ("namespace", "name", "pid", "status")
PROCESS_WIDE = ("command",)
HOSTS_COLUMNS = ("namespace", "address", "names")
HOSTS_WIDE = ("file",)
MIN_WIDTHS = {"pid": 7, "state": 10}
"""Columns as wide as their longest usual value (a 7-digit pid, INCOMPLETE), so that a table's
layout does not change with the pid or the neighbour's state of the moment."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return " ".join(escape(str(v)) for v in value)
    return escape(str(value))


def _section(console: "Console", title: str, columns: Sequence[str], rows: Sequence[object]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not rows:
        console.print(Text(f"{title}: none"))
        return
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, min_width=MIN_WIDTHS.get(col))
    for row in rows:
        table.add_row(*(Text(_cell(getattr(row, col))) for col in columns))
    console.print(table)


def render_show(console: "Console", title: str, doc: LabShow, wide: bool = False) -> None:
    """The lab's tables; `wide` (-o wide): the interfaces' aliases, the routes' metric, protocol, source and type, the
    processes' commands, the hosts entries' files too."""
    render_interfaces(console, title, doc.interfaces, wide)
    _section(console, "routes", ROUTE_COLUMNS + (ROUTE_WIDE if wide else ()), doc.routes)
    _section(console, "neighbours", NEIGHBOUR_COLUMNS, doc.neighbours)
    _section(console, "processes", PROCESS_COLUMNS + (PROCESS_WIDE if wide else ()), doc.processes)
    _section(console, "hosts entries", HOSTS_COLUMNS + (HOSTS_WIDE if wide else ()), doc.hosts)
