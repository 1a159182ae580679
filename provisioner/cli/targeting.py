"""`--target OBJECT` on plan, apply and destroy (provisioner/targets.py): the option, and the
target it names in the file, with Terraform's warning that the plan is partial."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from .common import fail, global_quiet

if TYPE_CHECKING:
    from ..model import Topology
    from ..targets import Target


def target_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--target", "target_spec", default=None, metavar="OBJECT",
                        help="Only this namespace (NAME) or link (NS:IF, or a root link's name) of the file, and what "
                             "depends on it; the plan is partial.")(fn)


def one_node_target(spec: str | None, inventory: Path | None) -> None:
    """--target with -i: refused (a target is one node's)."""
    if spec is not None and inventory is not None:
        fail("error: --target works on one node: give --node NAME instead of -i (or leave out --target)")


def pick_target(topo: "Topology", node: str, spec: str | None, quiet: bool = False,
                rollback: bool = False) -> "Target | None":
    """The target `spec` names (None without --target); exit 1 if it names nothing of the file.
    Says (on stderr, unless quiet) that the plan is partial."""
    from ..targets import UnknownTarget, partial_warning, resolve

    if spec is None:
        return None
    if rollback:
        fail("error: --rollback goes back to the lab's last verified state, all of it: not with --target")
    try:
        target = resolve(topo.nodes[node], spec)
    except UnknownTarget as exc:
        fail(f"error: {exc}")
    if not (quiet or global_quiet()):
        click.echo(partial_warning(target), err=True)
    return target
