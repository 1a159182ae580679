"""`-` as FILE: the topology is read from standard input, named `<stdin>` in messages
(issue 20, CLI conventions)."""

from __future__ import annotations

import subprocess

from sandbox import REPO, TOPO, Sandbox

LAB = (REPO / "topologies" / "01-loopback-pod.yaml").read_text()
BAD = "name: stdin-lab\nnamespaces:\n  pod-a:\n    sysctls: {net.ipv4.ip_forward: 1}\n    bogus: 3\n"


def _topo(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TOPO, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO)


def test_validate_reads_stdin() -> None:
    res = _topo("validate", "-", stdin=LAB)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "<stdin>: valid"


def test_bad_document_on_stdin_is_named_with_line_and_path() -> None:
    res = _topo("validate", "-", stdin=BAD)
    assert res.returncode == 1
    assert "<stdin>:5:" in res.stderr and "namespaces.pod-a" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    for command in ("plan", "apply", "destroy", "graph", "check", "show"):  # every command that takes FILE says the same
        res = _topo(command, "-", stdin=BAD)
        assert res.returncode == 1 and "<stdin>:5:" in res.stderr, (command, res.stderr)


def test_yaml_error_on_stdin_names_the_line() -> None:
    res = _topo("validate", "-", stdin="name: x\nnamespaces:\n  a: [\n")
    assert res.returncode == 1 and "<stdin>:" in res.stderr, res.stderr


def test_empty_stdin_says_so() -> None:
    res = _topo("validate", "-", stdin="")
    assert res.returncode == 1 and "<stdin>" in res.stderr and "empty" in res.stderr, res.stderr


def test_render_and_graph_read_stdin() -> None:
    assert _topo("render", "-", stdin=LAB).stdout == LAB
    res = _topo("graph", "-", stdin=LAB)
    assert res.returncode == 0 and "pod" in res.stdout


def test_plan_and_apply_from_stdin(sandbox: Sandbox) -> None:
    res = sandbox.run([TOPO, "plan", "-"], input=LAB, check=False)
    assert res.returncode == 2, res.stderr
    assert "namespace" in res.stdout
    assert sandbox.run(["ip", "netns", "list"]).stdout.strip() == ""
    res = sandbox.run([TOPO, "apply", "-"], input=LAB, check=False)
    assert res.returncode == 0, res.stderr
    assert "matches <stdin>" in res.stdout
    names = sandbox.run(["ip", "netns", "list"]).stdout.split()
    assert names and names[0] == "jumpbox"
    res = sandbox.run([TOPO, "plan", "-"], input=LAB, check=False)
    assert res.returncode == 0 and "No changes: the machine matches <stdin>." in res.stdout, res.stdout
    res = sandbox.run([TOPO, "destroy", "-"], input=LAB, check=False)
    assert res.returncode == 0, res.stderr
    assert sandbox.run(["ip", "netns", "list"]).stdout.strip() == ""


def test_ui_refuses_stdin() -> None:
    res = _topo("ui", "-", stdin=LAB)
    assert res.returncode == 1 and "not `-`" in res.stderr
