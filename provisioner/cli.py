"""The `topo` command line. Thin: parse options, call the layers, print, pick the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn

import click

from . import __version__
from .diagnostics import Diagnostic, Severity, TopoError
from .loader import load
from .validate import ValidationResult, validate_file

if TYPE_CHECKING:
    from rich.console import Console

    from .engine import RunOptions
    from .fanout import FanoutResult
    from .model import Topology
    from .planner import Plan

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


def _fail(*lines: str, status: int = EXIT_ERROR) -> NoReturn:
    """Say why on stderr (control characters escaped: names may come from the kernel or a
    record), then exit (1 unless told)."""
    from .names import escape

    for line in lines:
        click.echo("\n".join(escape(part) for part in line.split("\n")), err=True)
    raise SystemExit(status)


def _count(n: int, noun: str) -> str:
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
      topo graph topologies/05-flannel-cni0.yaml > lab.mmd
      topo render topologies/07-templated-pods.yaml --var pods=5
    """


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@template_options
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as a JSON list.")
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


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="Diagram language.")
def graph(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], fmt: str) -> None:
    """Print a diagram of FILE: namespaces as boxes, interfaces with addresses, veth pairs, bridges.

    \b
    Examples:
      topo graph topologies/05-flannel-cni0.yaml > lab.mmd     # Mermaid (GitHub renders it)
      topo graph lab.yaml --format dot | dot -Tsvg > lab.svg
    """
    from .render.graph import render_graph

    result = load_valid(file, var_pairs, vars_files)
    assert result.topology is not None
    sys.stdout.write(render_graph(result.topology, fmt))


def _console(err: bool = False) -> "Console":
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def _print_plan(plan: "Plan", quiet: bool = False) -> None:
    from .render.plan import render_plan_rich, summary_line

    console = _console()
    if quiet:
        console.print(summary_line(plan), markup=False)
        return
    for text, style in render_plan_rich(plan):
        console.print(text, style=style or None, markup=False)


def node_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--node", default=None, metavar="NAME",
                        help="Which node of a multi-node lab this machine is (default: the only node).")(fn)


def _topology(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...]) -> "Topology":
    result = load_valid(file, var_pairs, vars_files)
    assert result.topology is not None
    return result.topology


def _node(topo: "Topology", node: str | None) -> str:
    from .engine import pick_node

    try:
        return pick_node(topo, node)
    except ValueError as exc:
        raise TopoError(f"error: {exc}")


def _run_options(no_wait: bool) -> "RunOptions":
    from .engine import RunOptions

    return RunOptions(wait=not no_wait, notify=lambda text: click.echo(text, err=True))


def _require_root() -> None:
    import os

    if os.geteuid() != 0:
        raise TopoError("error: topo needs root (CAP_NET_ADMIN) to read and change network namespaces; run it with sudo")


def fanout_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--fail-fast", is_flag=True, help="With -i: stop every node as soon as one fails.")(fn)
    fn = click.option("--insecure-skip-host-key-check", "skip_host_key_check", is_flag=True,
                      help="With -i: accept any SSH host key of the nodes (ANSIBLE_HOST_KEY_CHECKING=False for this run). "
                           "Without it, Ansible checks them against known_hosts.")(fn)
    fn = click.option("-i", "--inventory", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
                      help="Go through Ansible: run on every node of the lab, as named in this inventory.")(fn)
    return fn


def _fanout(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, *, state: str,
            check: bool, adopt: bool = False, fail_fast: bool = False, skip_host_key_check: bool = False) -> "FanoutResult":
    """Validate and render here, then run the playbook on the lab's nodes."""
    from .fanout import FanoutRequest, run as run_fanout

    result = load_valid(file, var_pairs, vars_files)
    assert result.topology is not None and result.document is not None
    req = FanoutRequest(result.topology, result.document.source.rendered, inventory, state, check, adopt, fail_fast,
                        skip_host_key_check)
    try:
        return run_fanout(req)
    except (ValueError, FileNotFoundError) as exc:
        raise TopoError(f"error: {exc}")


def _report_fanout(res: "FanoutResult", as_json: bool, quiet: bool, verb: str) -> None:
    """Every node's plan (or what it did), then every failed node, named with its error."""
    from .render.plan import plan_to_json

    if as_json:
        doc = plan_to_json(res.plans)
        doc["failed_nodes"] = [{"node": n.node, "task": n.failed_task, "error": n.error} for n in res.failed]
        doc["changed_tasks"] = res.changed_tasks
        click.echo(json.dumps(doc, indent=2))
        return
    for n in res.nodes:
        if n.plan is not None and (verb == "plan" or not n.plan.empty):
            click.echo(f"== node {n.node}")
            _print_plan(n.plan, quiet)
    for n in res.nodes:
        if n.error is None:
            if verb != "plan":
                done = "no changes" if n.plan is None or n.plan.empty else f"{_count(len(n.plan.actions), 'action')}, verified"
                click.echo(f"{n.node}: {verb} {done} (Ansible: changed={res.changed_tasks.get(n.node, 0)})")
        else:
            click.echo(f"error: node {n.node} failed" + (f" in task '{n.failed_task}'" if n.failed_task else "")
                       + f": {n.error}", err=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@node_option
@fanout_options
@click.option("--adopt", is_flag=True, help="Plan to take over existing objects the file names (not the lab's: unmanaged or in conflict).")
@click.option("--destroy", "destroying", is_flag=True, help="Plan the destroy of the lab instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (format: schemas/plan.schema.json).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
def plan(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
         fail_fast: bool, skip_host_key_check: bool, adopt: bool, destroying: bool, as_json: bool, quiet: bool) -> None:
    """Show what apply would change; never changes the network.

    \b
    Exit status: 0 no changes, 2 changes present (drift), 1 error or conflict.
    Examples:
      topo plan lab.yaml --json > plan.json; echo $?      # CI drift check
      topo plan lab.yaml -i inventory.yml                  # every node, through Ansible (check mode)
      topo plan lab.yaml --destroy                         # what destroy would remove
    """
    from .render.plan import plan_to_json

    if inventory is not None:
        res = _fanout(file, var_pairs, vars_files, inventory, state="absent" if destroying else "present", check=True,
                      adopt=adopt, fail_fast=fail_fast, skip_host_key_check=skip_host_key_check)
        _report_fanout(res, as_json, quiet, "plan")
        if res.failed or any(p.conflicts for p in res.plans):
            raise SystemExit(EXIT_ERROR)
        raise SystemExit(EXIT_CHANGES if any(not p.empty for p in res.plans) else EXIT_OK)
    from .engine import plan_destroy_node, plan_node

    topo = _topology(file, var_pairs, vars_files)
    _require_root()
    node_name = _node(topo, node)
    result = plan_destroy_node(topo.name, node_name) if destroying else plan_node(topo, node_name, adopt)
    if as_json:
        click.echo(json.dumps(plan_to_json([result]), indent=2))
    else:
        _print_plan(result, quiet)
    if result.conflicts:
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_OK if result.empty else EXIT_CHANGES)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@node_option
@fanout_options
@click.option("--adopt", is_flag=True, help="Take over existing objects the file names (a user's bridge, another tool's namespace).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan that was applied as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.option("--no-wait", is_flag=True, help="Fail at once if another topo run holds this machine's lock.")
@click.option("--rollback", is_flag=True,
              help="If an action or the verification fails, return the lab to its last verified state "
                   "(a lab this run created is removed).")
def apply(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
          fail_fast: bool, skip_host_key_check: bool, adopt: bool, as_json: bool, quiet: bool, no_wait: bool,
          rollback: bool) -> None:
    """Make the machine match FILE: run exactly the plan, then verify nothing is left to do.

    \b
    Examples:
      topo apply topologies/05-flannel-cni0.yaml && topo plan topologies/05-flannel-cni0.yaml
      topo apply lab.yaml --rollback     # all or nothing: on failure, back to the last verified state
      topo apply lab.yaml -i inventory.yml   # every node of a multi-node lab, through Ansible
    """
    if inventory is not None:
        res = _fanout(file, var_pairs, vars_files, inventory, state="present", check=False, adopt=adopt, fail_fast=fail_fast,
                      skip_host_key_check=skip_host_key_check)
        _report_fanout(res, as_json, quiet, "apply")
        raise SystemExit(EXIT_ERROR if res.failed else EXIT_OK)
    from dataclasses import replace

    from .checkpoint import NoCheckpoint
    from .engine import ConflictError, NotConverged, RollbackFailed, RolledBack, apply_node
    from .render.plan import plan_to_json

    result_doc = load_valid(file, var_pairs, vars_files)
    topo = result_doc.topology
    assert topo is not None and result_doc.document is not None
    _require_root()
    node_name = _node(topo, node)
    options = replace(_run_options(no_wait), rollback=rollback, checkpoint=result_doc.document.source.rendered)

    from .render.progress import ProgressReporter

    bar = ProgressReporter(enabled=not (quiet or as_json))

    def show(p: "Plan") -> None:
        if not as_json and not p.empty:
            _print_plan(p, quiet)
        bar.start(p)

    try:
        try:
            result = apply_node(topo, node_name, adopt=adopt, source=str(file.resolve()), on_plan=show,
                                progress=bar.advance, options=options)
        finally:
            bar.finish()
    except NoCheckpoint as exc:
        _fail(f"error: {exc}; nothing was changed",
              "  hint: apply once without --rollback (or destroy the lab) to make a checkpoint")
    except RolledBack as exc:
        _fail(f"error: {exc.cause}",
              f"rolled back: lab {topo.name} is as it was before this apply ({_count(len(exc.rollback.done), 'action')} to undo it)")
    except RollbackFailed as exc:
        _fail(f"error: {exc.cause}", f"error: the rollback failed as well: {exc.error}; run apply or destroy again")
    except ConflictError as exc:
        if as_json:
            click.echo(json.dumps(plan_to_json([exc.plan]), indent=2))
        _fail(*(f"error: {c.message}\n  hint: {c.hint}" for c in exc.plan.conflicts))
    except NotConverged as exc:
        _fail("error: verification failed; still to do after apply:",
              *(f"  {a.change.value} {a.where}: {a.target}" for a in exc.remaining.actions))
    if as_json:
        click.echo(json.dumps(plan_to_json([result.plan]), indent=2))
    elif result.plan.empty:
        from .render.plan import unmanaged_line

        click.echo(f"No changes. Lab {topo.name} is up to date.")
        if (note := unmanaged_line(result.plan)) and not quiet:
            click.echo(note)
    else:
        click.echo(f"Apply complete: {_count(len(result.done), 'action')}; verified: the machine matches {file}.")


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@template_options
@node_option
@fanout_options
@click.option("--lab", "lab", default=None, help="Destroy the lab of this name (when its file is gone).")
@click.option("--from-kernel", is_flag=True,
              help="With --lab: do not read the lab's record (corrupt or lost); remove the links marked topo:LAB and "
                   "the namespaces holding only such links, then set the record aside.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan that was carried out as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@click.option("--no-wait", is_flag=True, help="Fail at once if another topo run holds this machine's lock.")
def destroy(file: Path | None, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None,
            inventory: Path | None, fail_fast: bool, skip_host_key_check: bool, lab: str | None, from_kernel: bool,
            as_json: bool, quiet: bool,
            no_wait: bool) -> None:
    """Remove everything the lab created, and nothing else.

    \b
    Examples:  topo destroy lab.yaml
               topo destroy --lab pod-network
               topo destroy lab.yaml -i inventory.yml
    """
    from .engine import NotConverged, destroy_node
    from .model import IMPLICIT_NODE
    from .render.plan import plan_to_json
    from .state import check_lab_name, load_record

    if (file is None) == (lab is None):
        raise click.UsageError("give a FILE or --lab NAME (one of them)")
    if from_kernel and lab is None:
        raise click.UsageError("--from-kernel goes with --lab NAME")
    if inventory is not None:
        if file is None:
            raise click.UsageError("with -i, give the FILE (it names the lab's nodes)")
        res = _fanout(file, var_pairs, vars_files, inventory, state="absent", check=False, fail_fast=fail_fast,
                      skip_host_key_check=skip_host_key_check)
        _report_fanout(res, as_json, quiet, "destroy")
        raise SystemExit(EXIT_ERROR if res.failed else EXIT_OK)
    if file is not None:
        topo = _topology(file, var_pairs, vars_files)
        lab_name, node_name = topo.name, _node(topo, node)
    else:
        assert lab is not None
        lab_name = check_lab_name(lab)
        rec = None if from_kernel else load_record(lab)
        node_name = node or (rec.node if rec and rec.node else IMPLICIT_NODE)
        if from_kernel:
            click.echo(f"note: not reading lab {lab}'s record: removing the links and namespaces marked topo:{lab}; "
                       "root routes and the original values of root sysctls are known only to the record and "
                       "are not restored", err=True)
        elif rec is None:
            from .state import list_records

            known = ", ".join(list_records()) or "none"
            click.echo(f"note: no lab named {lab} is recorded on this machine (recorded labs: {known}); "
                       "removing only links marked with it", err=True)
    _require_root()

    from .render.progress import ProgressReporter

    bar = ProgressReporter(enabled=not (quiet or as_json))

    def show(p: "Plan") -> None:
        if not p.empty and not as_json:
            _print_plan(p, quiet)
        bar.start(p)

    try:
        try:
            result = destroy_node(lab_name, node_name, on_plan=show, progress=bar.advance, options=_run_options(no_wait),
                                  from_kernel=from_kernel)
        finally:
            bar.finish()
    except NotConverged as exc:
        _fail(f"error: {exc}")
    if as_json:
        click.echo(json.dumps(plan_to_json([result.plan]), indent=2))
    elif result.plan.empty:
        click.echo(f"Nothing to destroy: lab {lab_name} has no objects on this machine.")
    else:
        click.echo(f"Destroy complete: lab {lab_name} removed ({_count(len(result.done), 'action')}).")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the inventory to this file instead of printing it.")
def inventory(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], output: Path | None) -> None:
    """Write an Ansible inventory (YAML) for the lab's nodes: host names are the node names.

    Only plain host names, IP addresses and POSIX user names are written; anything else in a
    node's host: or user: is refused.

    \b
    Example:  topo inventory topologies/08-multi-node.yaml -o inventory.yml
    """
    from .fanout import write_inventory
    from .hostsfile import write_atomic

    if output is not None and output.suffix not in (".yml", ".yaml"):
        _fail(f"error: {output} must end in .yml or .yaml: the inventory is YAML, and Ansible reads a YAML "
              "inventory only under such a name")
    try:
        text = write_inventory(_topology(file, var_pairs, vars_files))
    except ValueError as exc:
        _fail(f"error: {exc}")
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@node_option
@click.option("--json", "as_json", is_flag=True, help="Print the objects as JSON.")
def show(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, as_json: bool) -> None:
    """List the lab's live objects: namespace, interface, addresses, peer, state.

    \b
    Example:  topo show topologies/05-flannel-cni0.yaml --json
    """
    from .engine import read_node
    from .render.table import inventory_rows, render_table

    topo = _topology(file, var_pairs, vars_files)
    _require_root()
    node_name = _node(topo, node)
    rows = inventory_rows(topo, node_name, read_node(topo, node_name))
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        render_table(_console(), topo.name, rows)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@template_options
@node_option
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the results as JUnit XML to this file (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary line.")
def check(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, junit: Path | None,
          as_json: bool, quiet: bool) -> None:
    """Run the lab's declared checks (`checks:`) from its namespaces: ping, TCP, name lookups.

    \b
    Exit status: 0 every check as expected, 1 a check failed (or an error).
    Examples:
      topo check topologies/02-shared-pod-namespace.yaml
      topo check lab.yaml --junit checks.xml      # for CI
    """
    from .hostsfile import write_atomic
    from .probes import run_checks
    from .render.checks import render_table, to_json, to_junit

    topo = _topology(file, var_pairs, vars_files)
    _require_root()
    node_name = _node(topo, node)
    if not topo.checks:
        click.echo(f"Lab {topo.name} declares no checks (add `checks:` to {file}).", err=True)
    results = run_checks(topo, node_name)
    if junit is not None:
        write_atomic(junit, to_junit(topo.name, results))
    failed = [r for r in results if not r.passed]
    if as_json:
        click.echo(json.dumps(to_json(topo.name, results), indent=2))
    elif quiet:
        for r in failed:
            click.echo(f"FAILED {r.check.name}: {r.detail}")
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    else:
        render_table(_console(), topo.name, results)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


@main.command(name="exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("namespace")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(namespace: str, command: tuple[str, ...]) -> None:
    """Run COMMAND inside lab namespace NAMESPACE (with its hosts file), like `ip netns exec`.

    \b
    Example:  topo exec pod-a -- ping -c1 10.42.0.7
    """
    import os

    from .state import list_records, load_record

    _require_root()
    labs = [lab for lab in list_records() if (rec := load_record(lab)) and namespace in rec.namespaces]
    if not labs:
        raise TopoError(f"error: {namespace} is not a namespace of any topo lab on this machine")
    argv = list(command[1:] if command and command[0] == "--" else command)
    if not argv:
        raise click.UsageError("give a command to run")
    os.execvp("ip", ["ip", "netns", "exec", namespace, *argv])


@main.command(name="capture")
@click.option("--name", "lab", default="captured", show_default=True, help="The lab's name in the written file.")
@click.option("--netns", "namespaces", multiple=True, metavar="NS",
              help="Capture this namespace (repeatable; default: every namespace under /run/netns).")
@click.option("--include-root/--no-include-root", default=True, show_default=True,
              help="Capture the root namespace's bridges and veth ends, the routes through them, its sysctls and "
                   "topo's /etc/hosts entries.")
@click.option("--macs/--no-macs", default=True, show_default=True,
              help="Write each interface's MAC address (without: the kernel picks new ones on apply).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the file here (atomically) instead of printing it.")
def capture_cmd(lab: str, namespaces: tuple[str, ...], include_root: bool, macs: bool, output: Path | None) -> None:
    """Write a topology file that reproduces this machine's namespaces, veths, bridges, addresses,
    routes, forwarding sysctls and hosts entries, also those other tools made (a CNI plugin, ip netns).
    Read only: nothing is created or changed. What topo does not model (vxlan, dummy, tun ... devices,
    veths into unnamed namespaces) is left out with a warning, also named in the file's header; in the
    root namespace only the routes through captured bridges and veth ends are written (the node's own
    routes, e.g. via its uplink, are not a lab's).

    \b
    Examples:
      topo capture -o captured.yaml                     # every namespace, the root's bridges and veths
      topo capture --netns pod1 --netns pod2 --name pods -o pods.yaml
      topo plan captured.yaml                           # on this machine: no changes (all unmanaged)
      topo apply --adopt captured.yaml                  # take the objects over (no other change)
      topo apply captured.yaml                          # on a clean machine: the same state
    """
    import os

    from .capture import CaptureError, capture as capture_live, render as render_capture
    from .hostsfile import write_atomic
    from .loader import load_text
    from .validate import schema_path, validate_document

    _require_root()
    try:
        cap = capture_live(lab, namespaces, include_root, macs)
    except CaptureError as exc:
        raise TopoError(f"error: {exc}")
    for item in cap.skipped:
        click.echo(f"warning: not captured: {item}", err=True)
    schema = schema_path()
    ref = os.path.relpath(schema, output.resolve().parent) if output is not None else str(schema)
    text = render_capture(cap, ref)
    name = f"{output if output is not None else '<stdout>'} (captured, not written)"
    try:
        result = validate_document(load_text(name, text))
    except TopoError as exc:
        print_diagnostics(exc.diagnostics)
        raise TopoError("error: the captured state does not make a valid topology file; nothing was written")
    if not result.ok:
        print_diagnostics(result.diagnostics)
        raise TopoError("error: the captured state does not make a valid topology file; nothing was written")
    print_diagnostics([d for d in result.diagnostics if d.severity is Severity.WARNING])
    if result.topology != cap.topology:
        raise TopoError("internal error: the written file would not read back as the captured state; nothing was written")
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)
    click.echo(f"Captured {cap.summary()} into {output}" + (f" ({len(cap.skipped)} objects not captured, see above)" if cap.skipped else "")
               + ".", err=True)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Examples:
      eval "$(topo completion bash)"                 # this shell
      topo completion bash > /etc/bash_completion.d/topo
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "topo", "_TOPO_COMPLETE").source())


def run() -> None:
    """Console entry point: no traceback for expected errors (TOPO_DEBUG=1 shows them)."""
    import os

    from .executor import ActionFailed
    from .interrupt import Interrupted
    from .lock import LockBusy

    try:
        main(prog_name="topo", standalone_mode=True)
    except TopoError as exc:
        _fail(str(exc))
    except ActionFailed as exc:
        _fail(f"error: {exc}", "  hint: fix the cause (or the file) and run the command again; it continues from here")
    except LockBusy as exc:
        _fail(f"error: {exc}; try again later, or leave out --no-wait to wait for it")
    except Interrupted as exc:
        _fail(f"interrupted: {exc} (each finished step is complete); run the same command again to "
              "continue, or `topo destroy` to remove the lab", status=130)
    except KeyboardInterrupt:
        _fail("interrupted", status=130)
    except Exception as exc:  # a bug: say so briefly, in one line
        if os.environ.get("TOPO_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set TOPO_DEBUG=1 for the traceback)")
