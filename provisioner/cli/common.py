"""What the commands share: exit codes, option decorators, error and diagnostics printing,
loading a valid topology, the console, plan printing and the one progress wrapper."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn

import click

from ..diagnostics import Diagnostic, Severity, TopoError
from ..sourcefile import display_name, is_stdin
from ..validate import ValidationResult, validate_file

if TYPE_CHECKING:
    from rich.console import Console

    from ..engine import RunOptions
    from ..fanout import AnsibleKnobs
    from ..model import Topology
    from ..planner import Action, Plan
    from ..roots import Roots

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def fail(*lines: str, status: int = EXIT_ERROR) -> NoReturn:
    """Say why on stderr (control characters escaped: names may come from the kernel or a
    record), then exit (1 unless told)."""
    from ..names import escape

    for line in lines:
        click.echo("\n".join(escape(part) for part in line.split("\n")), err=True)
    raise SystemExit(status)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


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


def node_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--node", default=None, metavar="NAME",
                        help="Which node of a multi-node lab this machine is (default: the only node).")(fn)


ANSIBLE_KNOBS = "topo.ansible_knobs"  # ctx.meta key: what --limit, --forks and -v set (see ansible_options)


def _knob(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        ctx.meta.setdefault(ANSIBLE_KNOBS, {})[name] = value
    return store


def ansible_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--limit, --forks and -v for Ansible: not passed to the command's function, but kept in
    the click context (`ansible_knobs()` reads them), so every -i command takes them alike."""
    fn = click.option("-v", "--verbose", count=True, expose_value=False, callback=_knob("verbosity"),
                      help="With -i: more detail (-v every task of every node, -vvv Ansible's own output).")(fn)
    fn = click.option("--forks", type=click.IntRange(1, 500), default=None, expose_value=False, callback=_knob("forks"),
                      help="With -i: how many nodes Ansible works on at once (Ansible's --forks).")(fn)
    fn = click.option("--limit", default=None, metavar="PATTERN", expose_value=False, callback=_knob("limit"),
                      help="With -i: only the lab's nodes this Ansible host pattern selects (Ansible's --limit).")(fn)
    return fn


def ansible_knobs(quiet: bool = False) -> "AnsibleKnobs":
    """What --limit, --forks and -v said in this command (see ansible_options)."""
    from ..fanout import AnsibleKnobs

    ctx = click.get_current_context(silent=True)
    given = ctx.meta.get(ANSIBLE_KNOBS, {}) if ctx is not None else {}
    return AnsibleKnobs(limit=given.get("limit"), forks=given.get("forks"), verbosity=given.get("verbosity") or 0,
                        quiet=quiet)


def fanout_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--fail-fast", is_flag=True, help="With -i: stop every node as soon as one fails.")(fn)
    return remote_options(fn)


def remote_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """-i INVENTORY and what goes with it (host-key checking, --limit, --forks, -v)."""
    fn = ansible_options(fn)
    fn = click.option("--insecure-skip-host-key-check", "skip_host_key_check", is_flag=True,
                      help="With -i: accept any SSH host key of the nodes (ANSIBLE_HOST_KEY_CHECKING=False for this run). "
                           "Without it, Ansible checks them against known_hosts.")(fn)
    fn = click.option("-i", "--inventory", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                      help="Go through Ansible: run on every node of the lab, as named in this inventory.")(fn)
    return fn


def file_argument(required: bool = True) -> Decorator:
    """FILE: a topology file, or `-` for standard input (named `<stdin>` in messages)."""
    return click.argument("file", required=required, type=click.Path(path_type=Path, allow_dash=True))


def json_option(help: str) -> Decorator:
    return click.option("--json", "as_json", is_flag=True, help=help)


def quiet_option(help: str) -> Decorator:
    return click.option("--quiet", "-q", is_flag=True, help=help)


def no_wait_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--no-wait", is_flag=True, help="Fail at once if another topo run holds this machine's lock.")(fn)


def output_option(help: str) -> Decorator:
    return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help=help)


def print_diagnostics(diags: list[Diagnostic], quiet: bool = False) -> None:
    """Print diagnostics on stderr, each once; `quiet` (or `topo --quiet`) leaves out the warnings."""
    quiet = quiet or global_quiet()
    for d in dict.fromkeys(diags):
        if not (quiet and d.severity is Severity.WARNING):
            click.echo(d.render(), err=True)


def global_quiet() -> bool:
    """`topo --quiet CMD`: given before the command, it silences warnings of every command."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("quiet"))


def load_valid(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], quiet: bool = False,
               stage: str | None = None) -> ValidationResult:
    """Validate or exit 1 after printing every diagnostic; the warnings of a valid file are
    printed here, once for the command (not with --quiet). `stage`: the lesson stage's lab."""
    result = validate_file(file, parse_vars(var_pairs), list(vars_files), stage)
    if not result.ok:
        print_diagnostics(result.diagnostics, quiet)
        raise SystemExit(EXIT_ERROR)
    print_diagnostics([d for d in result.diagnostics if d.severity is Severity.WARNING], quiet)
    return result


def located(plan: "Plan", result: ValidationResult) -> "Plan":
    """The plan with each conflict about a declaration of the file placed at FILE:LINE:COL."""
    from dataclasses import replace

    if result.document is None or not any(c.path is not None for c in plan.conflicts):
        return plan
    locate = result.document.locator

    def where(path: tuple[str | int, ...]) -> str:
        line, column = locate(path)
        return f"{result.file}:{line}:{column}"

    return replace(plan, conflicts=[c.located(where) for c in plan.conflicts])


def valid_topology(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], quiet: bool = False,
                   stage: str | None = None) -> "Topology":
    result = load_valid(file, var_pairs, vars_files, quiet, stage)
    assert result.topology is not None
    return result.topology


def pick_node(topo: "Topology", node: str | None) -> str:
    from ..engine import pick_node as engine_pick_node

    try:
        return engine_pick_node(topo, node)
    except ValueError as exc:
        raise TopoError(f"error: {exc}")


def require_root() -> None:
    import os

    if os.geteuid() != 0:
        raise TopoError("error: topo needs root (CAP_NET_ADMIN) to read and change network namespaces; run it with sudo")


def node_roots() -> "Roots":
    """The node's filesystem roots, from this process's environment (TOPO_STATE_DIR, TOPO_RUN_DIR ...,
    see roots.py): made once, at the top of each command that works on this machine."""
    import os

    from ..roots import Roots

    return Roots.from_environ(os.environ)


def run_options(no_wait: bool) -> "RunOptions":
    from ..engine import RunOptions

    return RunOptions(wait=not no_wait, notify=lambda text: click.echo(text, err=True))


def console(err: bool = False) -> "Console":
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def print_plan(plan: "Plan", quiet: bool = False) -> None:
    from ..render.plan import render_plan_rich, summary_line

    out = console()
    if quiet:
        out.print(summary_line(plan), markup=False)
        return
    for text, style in render_plan_rich(plan):
        out.print(text, style=style or None, markup=False)


def echo_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2))


@dataclass(frozen=True)
class Progress:
    """The callbacks a run takes: `on_plan` (print the plan, start the bar), `advance`, and
    `on_rollback` (say that the run goes back, count the plan back as a step of its own)."""

    on_plan: Callable[["Plan"], None]
    advance: Callable[["Action"], None]
    on_rollback: Callable[["Plan"], None]


@contextmanager
def progress(quiet: bool, as_json: bool) -> Iterator[Progress]:
    """Show the plan a run is about to carry out (unless --json), then its progress (unless
    --quiet or --json); the bar is gone when the block ends, however it ends."""
    from ..render.progress import ProgressReporter

    bar = ProgressReporter(enabled=not (quiet or as_json))

    def on_plan(plan: "Plan") -> None:
        if not as_json and not plan.empty:
            print_plan(plan, quiet)
        bar.start(plan)

    def on_rollback(plan: "Plan") -> None:
        bar.finish()
        if not as_json:
            click.echo(f"rolling back: {count(len(plan.actions), 'action')}", err=True)
        bar.start(plan)

    try:
        yield Progress(on_plan, bar.advance, on_rollback)
    finally:
        bar.finish()


def no_changes_line(file: Path | str) -> str:
    """What plan and apply say when the machine already matches the file."""
    return f"No changes: the machine matches {display_name(file)}."


def recorded_source(file: Path) -> str:
    """The file a lab's record names as its source: the absolute path, or `<stdin>`."""
    return display_name(file) if is_stdin(file) else str(file.resolve())


def stacked(*decorators: Decorator) -> Decorator:
    """One decorator applying `decorators` as if written one above the other, in this order
    (so the options show in --help in this order)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        for deco in reversed(decorators):
            fn = deco(fn)
        return fn

    return wrap


def lab_options(file_required: bool = True) -> Decorator:
    """FILE, the template options, --node and the fan-out options: plan, apply and destroy."""
    return stacked(file_argument(file_required), template_options, node_option, fanout_options)
