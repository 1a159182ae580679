"""The `topo` command line. Thin: parse options, call the layers, print, pick the exit code.

One module per group of commands (files, lifecycle, inspect), what they share in `common`;
here the group, the completion command and the console entry point (`run`)."""

from __future__ import annotations

import click

from .. import __version__
from ..diagnostics import TopoError
from .common import fail
from .files import graph, render, validate
from .capture import capture, save
from .inspect import check, exec_, inventory, show
from .labs import ls
from .lifecycle import apply, destroy, plan
from .stages import stages
from .ui import ui

__all__ = ["main", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="topo")
@click.option("--quiet", "-q", is_flag=True,
              help="Print no warnings about the file (errors still print); each command's own --quiet does too.")
def main(quiet: bool) -> None:
    """topo: declarative network labs on Linux (namespaces, veths, bridges, routes, hosts).

    \b
    Examples:
      topo validate topologies/*.yaml
      topo graph topologies/05-flannel-cni0.yaml > lab.mmd
      topo render topologies/07-templated-pods.yaml --var pods=5
      topo -q apply lab.yaml          # without the file's warnings
    """


@click.command()
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


def _register(group: click.Group, *commands: click.Command) -> None:
    for command in commands:
        group.add_command(command)


_register(main, validate, render, graph, plan, apply, destroy, stages, inventory, ls, show, check, exec_, save, capture, ui,
          completion)


def run() -> None:
    """Console entry point: no traceback for expected errors (TOPO_DEBUG=1 shows them)."""
    import os

    from ..core.plan import ActionFailed
    from ..interrupt import Interrupted
    from ..lock import LockBusy
    from ..profile import finish, start

    prof = start()
    try:
        main(prog_name="topo", standalone_mode=True)
    except TopoError as exc:
        fail(str(exc))
    except ActionFailed as exc:
        fail(f"error: {exc}", "  hint: fix the cause (or the file) and run the command again; it continues from here")
    except LockBusy as exc:
        fail(f"error: {exc}; try again later, or leave out --no-wait to wait for it")
    except Interrupted as exc:
        fail(f"interrupted: {exc} (each finished step is complete); run the same command again to "
             "continue, or `topo destroy` to remove the lab", status=130)
    except KeyboardInterrupt:
        fail("interrupted", status=130)
    except Exception as exc:  # a bug: say so briefly, in one line
        if os.environ.get("TOPO_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set TOPO_DEBUG=1 for the traceback)")
    finally:
        finish(prof)
