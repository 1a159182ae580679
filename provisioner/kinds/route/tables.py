"""Routing tables: a route's or a rule's `table:` is a number or a name the file declares
under `tables:` (top level, as /etc/iproute2/rt_tables names them for `ip`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import YamlPath
from ..buildctx import BuildContext, suggest

MAIN = 254
RESERVED = {0: "unspec", 253: "default", 254: "main", 255: "local"}
"""The kernel's own tables: 0 is no table, 253-255 the default, main and local tables."""
USE = "use a number from 1 to 252 or above 255, or a name declared under `tables:`"


@dataclass
class Tables:
    """The file's table names, read once per build (ctx.state)."""

    names: dict[str, int] = field(default_factory=dict)
    read: bool = False


def declared(ctx: BuildContext) -> dict[str, int]:
    """The names under `tables:` whose numbers may be used (the rest are reported by `build`)."""
    tables = ctx.state(Tables)
    if not tables.read:
        tables.read = True
        raw = ctx.data.get("tables") or {}
        tables.names = {str(k): v for k, v in raw.items() if isinstance(v, int) and v not in RESERVED
                        and str(k) not in RESERVED.values()}
    return tables.names


def build(ctx: BuildContext, topo: Any) -> None:
    """Check the declarations and keep them in the model (dump writes them back)."""
    seen: dict[int, str] = {}
    for name, number in (ctx.data.get("tables") or {}).items():
        path: YamlPath = ("tables", name)
        if str(name) in RESERVED.values():
            ctx.sink.error(path, f"table name '{name}' is the kernel's own (table {_number_of(str(name))})",
                           "choose another name; rules reach the main table as `table: main`")
        elif number in RESERVED:
            ctx.sink.error(path, f"table {number} is reserved by the kernel ({RESERVED[number]})", USE)
        elif number in seen:
            ctx.sink.error(path, f"table {number} is already declared as '{seen[number]}'", "give each name its own number")
        else:
            seen[number] = str(name)
    topo.tables = dict(declared(ctx))


def _number_of(name: str) -> int:
    return next(n for n, text in RESERVED.items() if text == name)


def table_of(ctx: BuildContext, path: YamlPath, value: Any, rule: bool = False) -> int | None:
    """The table number `value` (a route's or, with `rule`, a rule's `table:`) names, or None
    when it names none the lab may use (reported). A rule may look up the main table; a
    route goes there without `table:`."""
    names = declared(ctx)
    if isinstance(value, str) and not value.isdigit():
        if rule and value == "main":
            return MAIN
        if value not in names:
            known = list(names) + (["main"] if rule else [])
            ctx.sink.error(path, f"table '{value}' is not declared under `tables:`",
                           suggest(value, known) or "declare it at the top level, e.g. `tables: {" + value + ": 100}`")
            return None
        return names[value]
    number = int(value)
    if number == MAIN and rule:
        return MAIN
    if number in RESERVED:
        hint = "leave `table:` out: routes go to the main table by default" if number == MAIN else USE
        ctx.sink.error(path, f"table {number} is reserved by the kernel ({RESERVED[number]})", hint)
        return None
    return number


def name_of(topo: Any, number: int) -> str | int:
    """How a file writes table `number`: its declared name, else the number."""
    for name, n in (topo.tables or {}).items():
        if n == number:
            return str(name)
    return "main" if number == MAIN else number
