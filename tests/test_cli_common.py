"""The CLI package's shared pieces (no kernel): the progress wrapper of apply and destroy,
stacked option decorators, and the command set of `topo`."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from provisioner.cli import main
from provisioner.cli.common import json_option, progress, quiet_option, stacked
from provisioner.kinds.netns.ops import CREATE_NETNS
from provisioner.planner import Action, Change, Plan


def two_actions() -> Plan:
    return Plan("lab", "host", [Action(CREATE_NETNS, Change.CREATE, None, f"namespace ns{i}") for i in (1, 2)])


def test_progress_prints_the_plan_and_flushes_the_count_even_on_failure(capsys: pytest.CaptureFixture[str]) -> None:
    plan = two_actions()
    with pytest.raises(RuntimeError):
        with progress(quiet=False, as_json=False) as shown:
            shown.on_plan(plan)
            shown.advance(plan.actions[0])
            raise RuntimeError("an action failed")
    out, err = capsys.readouterr()
    assert "namespace ns1" in out and "namespace ns2" in out
    assert err.startswith("  create-namespace: 1 done (1/2, ")


@pytest.mark.parametrize("quiet, as_json", [(False, True), (True, False)])
def test_progress_is_silent_with_json_or_quiet(capsys: pytest.CaptureFixture[str], quiet: bool, as_json: bool) -> None:
    plan = two_actions()
    with progress(quiet=quiet, as_json=as_json) as shown:
        shown.on_plan(plan)
        for action in plan.actions:
            shown.advance(action)
    out, err = capsys.readouterr()
    assert err == ""
    assert ("namespace ns1" in out) is False
    assert (out != "") is (quiet and not as_json)  # --quiet still prints the summary line


def test_stacked_options_show_in_the_order_written() -> None:
    @click.command()
    @stacked(json_option("as JSON"), quiet_option("quietly"))
    def cmd(as_json: bool, quiet: bool) -> None:
        click.echo(f"{as_json} {quiet}")

    result = CliRunner().invoke(cmd, ["--help"])
    assert result.output.index("--json") < result.output.index("--quiet")
    assert CliRunner().invoke(cmd, ["-q"]).output == "False True\n"


def test_topo_has_every_command() -> None:
    assert sorted(main.commands) == ["apply", "capture", "check", "completion", "destroy", "exec", "graph", "inventory", "ls",
                                     "plan", "render", "save", "show", "stages", "ui", "validate"]
