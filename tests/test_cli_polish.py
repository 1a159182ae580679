"""What people expect from the command line: help with examples, completion, colour rules,
progress lines in logs, quiet and JSON output."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import example
from sandbox import TOPO, Sandbox


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TOPO, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", ["validate", "render", "graph", "plan", "apply", "destroy", "show", "check",
                                     "inventory", "exec", "completion"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    res = run(command, "--help")
    assert res.returncode == 0
    assert "Example" in res.stdout or "example" in res.stdout, f"topo {command} --help shows no example"


@pytest.mark.parametrize("shell,marker", [("bash", "_TOPO_COMPLETE"), ("zsh", "#compdef topo"), ("fish", "complete")])
def test_completion_scripts(shell: str, marker: str) -> None:
    res = run("completion", shell)
    assert res.returncode == 0 and marker in res.stdout


def test_bash_completion_completes_commands() -> None:
    res = run(env={"_TOPO_COMPLETE": "bash_complete", "COMP_WORDS": "topo pl", "COMP_CWORD": "1"})
    assert "plan" in res.stdout


@pytest.mark.kernel
def test_progress_lines_off_a_terminal_and_quiet(sandbox: Sandbox) -> None:
    lab = example("07")
    res = sandbox.topo("apply", lab)
    assert "  create-namespace: 3 done (3/" in res.stderr, res.stderr
    assert "\x1b[" not in res.stdout + res.stderr, "no colour codes with NO_COLOR or off a terminal"
    sandbox.topo("destroy", lab)
    quiet = sandbox.topo("apply", lab, "-q")
    assert "done (" not in quiet.stderr and quiet.stdout.count("\n") <= 2
    as_json = sandbox.topo("destroy", lab, "--json")
    assert json.loads(as_json.stdout)["summary"]["delete"] > 0 and "done (" not in as_json.stderr


@pytest.mark.kernel
def test_plans_are_coloured_only_when_asked_and_never_with_no_color(sandbox: Sandbox) -> None:
    lab = example("05")
    forced = sandbox.run([TOPO, "plan", lab], check=False, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    plain = sandbox.run([TOPO, "plan", lab], check=False, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert forced.returncode == plain.returncode == 2
    assert "\x1b[32m" in forced.stdout, "a creation is green when colour is forced"
    assert "\x1b[32m" not in plain.stdout and "\x1b[33m" not in plain.stdout, "NO_COLOR wins (bold may stay)"
