"""The commands that look at a lab or this machine, or write what another tool reads:
show, check, exec, inventory (save and capture: cli/capture.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..diagnostics import TopoError
from .complete import complete_namespaces
from .formats import emit, format_option, structured
from .stages import stage_option
from .common import (EXIT_ERROR, EXIT_OK, console, fail, file_argument, node_option, node_roots,
                     output_option, pick_node, quiet_option, remote_options, require_root, template_options,
                     valid_topology)


@click.command()
@file_argument()
@template_options
@output_option("Write the inventory to this file instead of printing it.")
def inventory(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], output: Path | None) -> None:
    """Write an Ansible inventory (YAML) for the lab's nodes: host names are the node names.

    Only plain host names, IP addresses and POSIX user names are written; anything else in a
    node's host: or user: is refused.

    \b
    Example:  topo inventory topologies/08-multi-node.yaml -o inventory.yml
    """
    from ..fanout import write_inventory
    from ..hostsfile import write_atomic

    if output is not None and output.suffix not in (".yml", ".yaml"):
        fail(f"error: {output} must end in .yml or .yaml: the inventory is YAML, and Ansible reads a YAML "
             "inventory only under such a name")
    try:
        text = write_inventory(valid_topology(file, var_pairs, vars_files))
    except ValueError as exc:
        fail(f"error: {exc}")
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


@click.command()
@file_argument()
@template_options
@node_option
@remote_options
@format_option("Output format: json or yaml (the objects' list), wide (the table).")
def show(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
         skip_host_key_check: bool, fmt: str | None) -> None:
    """List the lab's live objects per namespace: interfaces (addresses, peer, state), routes,
    neighbours (`ip neigh`), processes (pid, running or exited) and hosts entries. A lab never
    applied on this node is an error (exit 1).

    \b
    Example:  topo show topologies/05-flannel-cni0.yaml --json
              topo show topologies/08-multi-node.yaml -i inventory.yml   # every node, a table each
    """
    if inventory is not None:
        from .remote import show_nodes

        show_nodes(file, var_pairs, vars_files, inventory, skip_host_key_check=skip_host_key_check, fmt=fmt)
    from ..show.collect import read_show
    from ..show.table import render_show

    roots = node_roots()
    topo = valid_topology(file, var_pairs, vars_files)
    require_root()
    node_name = pick_node(topo, node)
    doc = read_show(roots, topo, node_name, file)
    if structured(fmt):
        emit(doc.to_json(), fmt)
    else:
        render_show(console(), f"lab {topo.name}", doc, wide=fmt == "wide")


@click.command()
@file_argument()
@template_options
@node_option
@remote_options
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the results as JUnit XML to this file (for CI).")
@format_option("Output format: json or yaml (the results), wide (the table).")
@quiet_option("Print only failures and the summary line, and no warnings about the file.")
@stage_option("Run the checks of this lesson stage's lab (the base's and every stage's up to it).")
def check(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, inventory: Path | None,
          skip_host_key_check: bool, junit: Path | None, fmt: str | None, quiet: bool, stage: str | None) -> None:
    """Run the lab's declared checks (`checks:`) from its namespaces: ping, TCP, name lookups.

    \b
    Exit status: 0 every check as expected, 1 a check failed (or an error).
    Examples:
      topo check topologies/02-shared-pod-namespace.yaml
      topo check lab.yaml --junit checks.xml      # for CI
      topo check lab.yaml -i inventory.yml        # every node's checks, one table
    """
    if inventory is not None and stage is not None:
        raise click.UsageError("--stage does not go with -i yet")
    if inventory is not None:
        from .remote import check_nodes

        check_nodes(file, var_pairs, vars_files, inventory, skip_host_key_check=skip_host_key_check, junit=junit,
                    as_json=structured(fmt), quiet=quiet)
    from ..hostsfile import write_atomic
    from ..probes import run_checks
    from ..render.checks import render_table, to_json, to_junit

    topo = valid_topology(file, var_pairs, vars_files, quiet, stage)
    require_root()
    node_name = pick_node(topo, node)
    if not topo.checks:
        click.echo(f"Lab {topo.name} declares no checks (add `checks:` to {file}).", err=True)
    results = run_checks(topo, node_name)
    from ..check_results import save_results

    save_results(node_roots(), topo.name, to_json(topo.name, results))  # the last results, for `topo ui`
    if junit is not None:
        write_atomic(junit, to_junit(topo.name, results))
    failed = [r for r in results if not r.passed]
    if structured(fmt):
        emit(to_json(topo.name, results), fmt)
    elif quiet:
        for r in failed:
            click.echo(f"FAILED {r.check.name}: {r.detail}")
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    else:
        render_table(console(), topo.name, results)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


@click.command(name="exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--node", default=None, metavar="NAME", help="With -i: run it on this node of the inventory.")
@remote_options
@click.argument("namespace", shell_complete=complete_namespaces)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(node: str | None, inventory: Path | None, skip_host_key_check: bool, namespace: str,
          command: tuple[str, ...]) -> None:
    """Run COMMAND inside lab namespace NAMESPACE (with its hosts file), like `ip netns exec`.

    \b
    Example:  topo exec pod-a -- ping -c1 10.42.0.7
              topo exec -i inventory.yml --node node1 pod-1a -- ping -c1 10.244.2.2
    """
    import os

    from ..state import list_records, load_record

    if (node is None) != (inventory is None):
        raise click.UsageError("--node and -i go together: run the command on NODE of INVENTORY")
    if inventory is not None and node is not None:
        from .remote import exec_on_node

        args = list(command[1:] if command and command[0] == "--" else command)
        if not args:
            raise click.UsageError("give a command to run")
        exec_on_node(inventory, node, namespace, args, skip_host_key_check=skip_host_key_check)

    roots = node_roots()
    require_root()
    labs = [lab for lab in list_records(roots) if (rec := load_record(roots, lab)) and namespace in rec.namespaces]
    if not labs:
        raise TopoError(f"error: {namespace} is not a namespace of any topo lab on this machine")
    argv = list(command[1:] if command and command[0] == "--" else command)
    if not argv:
        raise click.UsageError("give a command to run")
    os.execvp("ip", ["ip", "netns", "exec", namespace, *argv])
