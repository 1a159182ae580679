"""The `topo` command line. Thin: parse options, call the layers, print, pick the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from . import __version__
from .diagnostics import Diagnostic, Severity, TopoError
from .loader import load
from .validate import ValidationResult, validate_file

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{pair}' is not NAME=VALUE", param_hint="--var")
        out[key.strip()] = value
    return out


def template_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--vars-file", "vars_files", multiple=True, type=click.Path(path_type=Path),
                      help="YAML file of template variables (repeatable).")(fn)
    fn = click.option("--var", "var_pairs", multiple=True, metavar="NAME=VALUE",
                      help="Set a template variable; the value is read as YAML (repeatable).")(fn)
    return fn


def print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        click.echo(d.render(), err=True)


def load_valid(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...]) -> ValidationResult:
    """Validate or exit 1 after printing every diagnostic."""
    result = validate_file(file, parse_vars(var_pairs), list(vars_files))
    if not result.ok:
        print_diagnostics(result.diagnostics)
        raise SystemExit(EXIT_ERROR)
    print_diagnostics([d for d in result.diagnostics if d.severity is Severity.WARNING])
    return result


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="topo")
def main() -> None:
    """topo: declarative network labs on Linux (namespaces, veths, bridges, routes, hosts).

    \b
    Examples:
      topo validate topologies/*.yaml
      topo graph topologies/flannel-cni0.yaml > lab.mmd
      topo render topologies/templated-pods.yaml --var pods=5
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@template_options
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as a JSON list.")
def validate(files: tuple[Path, ...], var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], as_json: bool) -> None:
    """Check topology FILES against the schema and the semantic rules; exit 1 on any error."""
    overrides = parse_vars(var_pairs)
    results = [validate_file(f, overrides, list(vars_files)) for f in files]
    failed = any(not r.ok for r in results)
    if as_json:
        click.echo(json.dumps([d.to_json() for r in results for d in r.diagnostics], indent=2))
    else:
        for r in results:
            print_diagnostics(r.diagnostics)
            if r.ok:
                click.echo(f"{r.file}: valid", err=False)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
def render(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...]) -> None:
    """Print FILE after Jinja2 templating (the YAML topo actually reads)."""
    try:
        doc = load(file, parse_vars(var_pairs), list(vars_files))
    except TopoError as exc:
        print_diagnostics(exc.diagnostics)
        raise SystemExit(EXIT_ERROR)
    sys.stdout.write(doc.source.rendered)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="Diagram language.")
def graph(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], fmt: str) -> None:
    """Print a diagram of FILE: namespaces as boxes, interfaces with addresses, veth pairs, bridges."""
    from .render.graph import render_graph

    result = load_valid(file, var_pairs, vars_files)
    assert result.topology is not None
    sys.stdout.write(render_graph(result.topology, fmt))


def run() -> None:
    try:
        main(standalone_mode=True)
    except TopoError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_ERROR)
