"""Output formats as kubectl users expect them: `-o json|yaml|wide` (and `--json`, its synonym
for json). Neither given (`fmt` None): the command's own table or text."""

from __future__ import annotations

import json
from typing import Any, Callable

import click

FORMATS = ("json", "yaml", "wide")


def format_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`-o/--output FORMAT` and `--json` (the same as `-o json`), passed on as `fmt`."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option("--json", "fmt", flag_value="json", help="The same as -o json.")(fn)
        return click.option("-o", "--output", "fmt", type=click.Choice(FORMATS), default=None,
                            help=help)(fn)
    return wrap


def emit(doc: Any, fmt: str) -> None:
    """Print DOC as JSON or YAML (FMT is json or yaml)."""
    if fmt == "yaml":
        import yaml

        click.echo(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True), nl=False)
    else:
        click.echo(json.dumps(doc, indent=2))


def structured(fmt: str | None) -> bool:
    return fmt in ("json", "yaml")
