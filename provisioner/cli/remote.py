"""plan, apply and destroy with -i: validate and render here, run the playbook on every node,
report every node's plan and every failed node."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..diagnostics import TopoError
from .common import EXIT_ERROR, EXIT_OK, ansible_knobs, console, count, echo_json, load_valid, print_plan

if TYPE_CHECKING:
    from ..fanout import FanoutRequest, FanoutResult
    from ..fanout_command import CommandResult
    from ..model import Topology
    from ..probes import CheckResult


VERBING = {"plan": "planning", "apply": "applying", "destroy": "destroying", "check": "checking", "show": "reading"}


def fan_out(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, *, state: str,
            check: bool, adopt: bool = False, fail_fast: bool = False, skip_host_key_check: bool = False,
            quiet: bool = False, verb: str = "plan") -> "FanoutResult":
    """Validate and render here, then run the playbook on the lab's nodes."""
    from ..fanout import run as run_fanout

    try:
        import ansible_runner  # noqa: F401
    except ImportError:
        raise TopoError("error: -i runs the lab's nodes through Ansible, which is not installed with topo here: "
                        "install the ansible extra (pip install 'topo[ansible]')")
    req = fanout_request(file, var_pairs, vars_files, inventory, quiet, verb, state=state, check=check, adopt=adopt,
                         fail_fast=fail_fast, skip_host_key_check=skip_host_key_check)
    try:
        return run_fanout(req, verb)
    except (ValueError, FileNotFoundError) as exc:
        raise TopoError(f"error: {exc}")


def fanout_request(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, quiet: bool,
                   verb: str, **options: Any) -> "FanoutRequest":
    """The request for a run on the lab's nodes (validated and rendered here); says at once what
    is about to happen (the first line of output, before Ansible starts)."""
    from ..fanout import FanoutRequest

    result = load_valid(file, var_pairs, vars_files, quiet)
    assert result.topology is not None and result.document is not None
    topo = result.topology
    knobs = ansible_knobs(quiet)
    if not quiet:
        nodes = sorted(topo.nodes)
        limit = f" (--limit {knobs.limit})" if knobs.limit else ""
        click.echo(f"{VERBING.get(verb, verb)} lab {topo.name} on {count(len(nodes), 'node')}{limit}: {', '.join(nodes)}",
                   err=True)
    return FanoutRequest(result.topology, result.document.source.rendered, inventory, knobs=knobs, **options)


def report_fanout(res: "FanoutResult", as_json: bool, quiet: bool, verb: str) -> None:
    """Every node's plan (or what it did), then every failed node, named with its error."""
    from ..render.plan import fanout_to_json

    if as_json:
        echo_json(fanout_to_json(res.plans, res.nodes, res.changed_tasks))
        return
    for n in res.nodes:
        if n.plan is not None and (verb == "plan" or not n.plan.empty):
            click.echo(f"== node {n.node}")
            print_plan(n.plan, quiet)
    for n in res.nodes:
        if n.error is None:
            if verb != "plan":
                done = "no changes" if n.plan is None or n.plan.empty else f"{count(len(n.plan.actions), 'action')}, verified"
                click.echo(f"{n.node}: {verb} {done} (Ansible: changed={res.changed_tasks.get(n.node, 0)})")
        else:
            click.echo(f"error: node {n.node} failed" + (f" in task '{n.failed_task}'" if n.failed_task else "")
                       + f": {n.error}", err=True)


def _node_failures(runs: "list[CommandResult]") -> None:
    for got in runs:
        if got.result.error is not None:
            click.echo(f"error: node {got.result.node} failed: {got.result.error}", err=True)


def merged_checks(topo: "Topology", runs: "list[CommandResult]") -> "list[CheckResult]":
    """Every check of the lab, each with the result of the node it runs on (`topo check --json`
    there: the same file, so the same checks in the same order); a node that failed fails its
    checks, a node the run left out (--limit) skips them."""
    from ..probes import CheckResult

    by_node: dict[str, list[dict[str, Any]] | str] = {}
    for got in runs:
        try:
            doc = got.json() if got.result.error is None else None
            by_node[got.result.node] = doc["checks"] if isinstance(doc, dict) else f"node failed: {got.result.error}"
        except (ValueError, KeyError, TypeError) as exc:
            by_node[got.result.node] = f"no check results: {exc}"
    results = []
    for i, c in enumerate(topo.checks):
        got_node = by_node.get(c.place.node)
        if got_node is None:
            results.append(CheckResult(c, True, f"node {c.place.node} is not in this run (--limit)", 0.0, True))
        elif isinstance(got_node, str) or i >= len(got_node) or got_node[i].get("name") != c.name:
            why = got_node if isinstance(got_node, str) else "its results do not match the file's checks"
            results.append(CheckResult(c, False, f"node {c.place.node}: {why}", 0.0))
        else:
            d = got_node[i]
            results.append(CheckResult(c, d.get("result") == "passed", str(d.get("detail", "")), float(d.get("seconds") or 0)))
    return results


def check_nodes(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, *,
                skip_host_key_check: bool, junit: Path | None, as_json: bool, quiet: bool) -> NoReturn:
    """`topo check FILE -i INV`: every node runs its checks; one table, one JUnit file, one exit status."""
    from ..hostsfile import write_atomic
    from ..render.checks import render_table, to_json, to_junit

    req = fanout_request(file, var_pairs, vars_files, inventory, quiet, "check", skip_host_key_check=skip_host_key_check)
    runs = _run_on_lab_nodes(req, {"command": "check"})
    results = merged_checks(req.topo, runs)
    if junit is not None:
        write_atomic(junit, to_junit(req.topo.name, results))
    if as_json:
        echo_json(to_json(req.topo.name, results))
    else:
        render_table(console(), req.topo.name, results)
    _node_failures(runs)
    failed = any(not r.passed for r in results) or any(got.result.error for got in runs)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


def show_nodes(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, *,
               skip_host_key_check: bool, fmt: str | None) -> NoReturn:
    """`topo show FILE -i INV`: every node's live objects, tables per node (JSON: by node)."""
    from ..show.collect import LabShow
    from ..show.table import render_show
    from .formats import structured

    req = fanout_request(file, var_pairs, vars_files, inventory, structured(fmt), "show", skip_host_key_check=skip_host_key_check)
    runs = _run_on_lab_nodes(req, {"command": "show"})
    shown: dict[str, LabShow] = {}
    for got in runs:
        if got.result.error is None:
            try:
                shown[got.result.node] = LabShow.from_json(got.json())
            except (ValueError, TypeError) as exc:
                got.result.error = str(exc)
    if structured(fmt):
        echo_json({"lab": req.topo.name, "nodes": {node: doc.to_json() for node, doc in shown.items()},
                   "failed_nodes": [{"node": g.result.node, "error": g.result.error} for g in runs if g.result.error]})
    else:
        for node, doc in shown.items():
            render_show(console(), f"lab {req.topo.name}, node {node}", doc, wide=fmt == "wide")
    _node_failures(runs)
    raise SystemExit(EXIT_ERROR if any(g.result.error for g in runs) else EXIT_OK)


def exec_on_node(inventory: Path, node: str, namespace: str, argv: list[str], *, skip_host_key_check: bool) -> NoReturn:
    """`topo exec -i INV --node N NS -- CMD`: `topo exec NS -- CMD` on node N through Ansible (the
    command is an argv from end to end, never a shell line); its output and exit status."""
    from ..fanout import FanoutRequest, inventory_hosts
    from ..fanout_command import run_command
    from ..model import Topology
    from ..names import hosts_name_problem

    if problem := hosts_name_problem(node):
        raise TopoError(f"error: --node: {problem}")
    try:
        if node not in inventory_hosts(inventory):
            raise TopoError(f"error: inventory {inventory} has no host {node}")
        knobs = ansible_knobs(quiet=True)
        req = FanoutRequest(Topology(name="", nodes={}), "", inventory, skip_host_key_check=skip_host_key_check,
                            knobs=replace(knobs, quiet=knobs.verbosity == 0, limit=None))
        got = run_command(req, [node], {"command": "exec", "namespace": namespace, "argv": argv}, send_file=False,
                          verb="exec")[0]
    except ValueError as exc:
        raise TopoError(f"error: {exc}")
    if got.result.error is not None or got.rc is None:
        raise TopoError(f"error: node {node} failed: {got.result.error}")
    sys.stdout.write(got.stdout + ("\n" if got.stdout else ""))
    sys.stderr.write(got.stderr + ("\n" if got.stderr else ""))
    raise SystemExit(got.rc)


def _run_on_lab_nodes(req: "FanoutRequest", request: dict[str, Any]) -> "list[CommandResult]":
    from ..fanout import lab_nodes
    from ..fanout_command import run_command

    try:
        return run_command(req, lab_nodes(req.topo, req.inventory, req.knobs.limit), request, send_file=True,
                           verb=request["command"])
    except (ValueError, FileNotFoundError) as exc:
        raise TopoError(f"error: {exc}")
