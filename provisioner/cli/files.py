"""Commands on topology files alone (no kernel, no root): validate, render, graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..diagnostics import Diagnostic, TopoError
from ..loader import load
from ..validate import validate_file
from .common import (EXIT_ERROR, EXIT_OK, echo_json, file_argument, json_option, output_option, parse_vars,
                     print_diagnostics, template_options, valid_topology)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@template_options
@json_option("Print the diagnostics as a JSON list.")
def validate(files: tuple[Path, ...], var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], as_json: bool) -> None:
    """Check topology FILES against the schema and the semantic rules; exit 1 on any error.

    \b
    Examples:
      topo validate topologies/*.yaml
      topo validate lab.yaml --var pods=50 --json
    """
    overrides = parse_vars(var_pairs)
    results = [validate_file(f, overrides, list(vars_files)) for f in files]
    failed = any(not r.ok for r in results)
    if as_json:
        echo_json([d.to_json() for r in results for d in r.diagnostics])
    else:
        shown: set[Diagnostic] = set()  # a file named twice: its warnings once
        for r in results:
            print_diagnostics([d for d in r.diagnostics if d not in shown])
            shown.update(r.diagnostics)
            if r.ok:
                click.echo(f"{r.file}: valid", err=False)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


@click.command()
@file_argument()
@template_options
def render(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...]) -> None:
    """Print FILE after Jinja2 templating (the YAML topo actually reads).

    \b
    Example:  topo render topologies/07-templated-pods.yaml --var pods=5
    """
    try:
        doc = load(file, parse_vars(var_pairs), list(vars_files))
    except TopoError as exc:
        print_diagnostics(exc.diagnostics)
        raise SystemExit(EXIT_ERROR)
    sys.stdout.write(doc.source.rendered)


@click.command()
@file_argument()
@template_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "html", "svg", "png"]), default="mermaid",
              show_default=True, help="Diagram language, or a drawing: html (the page of `topo ui`, without its live "
              "state; one self-contained file), svg or png (Graphviz's dot).")
@output_option("Write the diagram to this file instead of printing it.")
def graph(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Print a diagram of FILE: namespaces as boxes, interfaces with addresses, veth pairs, bridges,
    and beside them its Services (a line to each endpoint) and policies (a line to each pod they select).

    \b
    Examples:
      topo graph topologies/05-flannel-cni0.yaml > lab.mmd     # Mermaid (GitHub renders it)
      topo graph lab.yaml --format dot | dot -Tsvg > lab.svg
      topo graph lab.yaml --format html -o lab.html             # the live page's drawing, offline
      topo graph lab.yaml --format png -o lab.png
    """
    from ..render.graph import render_graph
    from ..render.graph_web import render_html, render_image

    topo = valid_topology(file, var_pairs, vars_files)
    if fmt in ("svg", "png"):
        data = render_image(topo, fmt)
    else:
        data = (render_html(topo) if fmt == "html" else render_graph(topo, fmt)).encode()
    if output is not None:
        from ..hostsfile import write_atomic

        write_atomic(output, data.decode("utf-8", "surrogateescape"))  # written back byte for byte (a png too)
    elif fmt == "png" and sys.stdout.isatty():
        raise click.UsageError("a png is not for the terminal: give -o FILE.png (or redirect the output)")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
