"""plan, apply and destroy with -i: validate and render here, run the playbook on every node,
report every node's plan and every failed node."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..diagnostics import TopoError
from .common import count, echo_json, load_valid, print_plan

if TYPE_CHECKING:
    from ..fanout import FanoutResult


def fan_out(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], inventory: Path, *, state: str,
            check: bool, adopt: bool = False, fail_fast: bool = False, skip_host_key_check: bool = False,
            quiet: bool = False) -> "FanoutResult":
    """Validate and render here, then run the playbook on the lab's nodes."""
    from ..fanout import FanoutRequest, run as run_fanout

    try:
        import ansible_runner  # noqa: F401
    except ImportError:
        raise TopoError("error: -i runs the lab's nodes through Ansible, which is not installed with topo here: "
                        "install the ansible extra (pip install 'topo[ansible]')")
    result = load_valid(file, var_pairs, vars_files, quiet)
    assert result.topology is not None and result.document is not None
    req = FanoutRequest(result.topology, result.document.source.rendered, inventory, state, check, adopt, fail_fast,
                        skip_host_key_check)
    try:
        return run_fanout(req)
    except (ValueError, FileNotFoundError) as exc:
        raise TopoError(f"error: {exc}")


def report_fanout(res: "FanoutResult", as_json: bool, quiet: bool, verb: str) -> None:
    """Every node's plan (or what it did), then every failed node, named with its error."""
    from ..render.plan import plan_to_json

    if as_json:
        doc = plan_to_json(res.plans)
        doc["failed_nodes"] = [{"node": n.node, "task": n.failed_task, "error": n.error} for n in res.failed]
        doc["changed_tasks"] = res.changed_tasks
        echo_json(doc)
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
