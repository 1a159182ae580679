"""Golden tests (netlab style): each malformed file in tests/corpus/ sits beside NAME.expected,
whose lines `LINE:COL: path: message` must each be reported. Nothing may raise a traceback,
every file exits 1 through the CLI, and the machine is never touched (validation reads files only)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES
from sandbox import REPO, TOPO
from provisioner.diagnostics import format_path
from provisioner.validate import validate_file

CORPUS = sorted((REPO / "tests" / "corpus").glob("*.yaml"))


def expectations(path: Path) -> list[tuple[int, int, str, str]]:
    out = []
    for line in path.with_suffix(".expected").read_text().splitlines():
        pos_line, pos_col, ypath, message = line.split(":", 3)[0], line.split(":", 3)[1], *line.split(": ", 2)[1:]
        out.append((int(pos_line), int(pos_col), ypath, message))
    return out


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_file_reports_expected_errors(path: Path) -> None:
    result = validate_file(path)
    assert not result.ok
    got = {(d.line, d.column, format_path(d.path), d.message) for d in result.diagnostics}
    wanted = expectations(path)
    assert wanted, f"{path.name}.expected is empty"
    for item in wanted:
        assert item in got, f"{path.name}: expected {item}, got {sorted(got)}"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_cli_exit_1_with_location_and_no_traceback(path: Path) -> None:
    res = subprocess.run([TOPO, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    line, col, _, _ = expectations(path)[0]
    assert f"{path}:{line}:{col}: " in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_json_diagnostics() -> None:
    path = REPO / "tests" / "corpus" / "unreachable-gateway.yaml"
    res = subprocess.run([TOPO, "validate", "--json", str(path)], capture_output=True, text=True)
    assert res.returncode == 1
    [diag] = json.loads(res.stdout)
    assert diag["line"] == 5 and diag["path"] == "namespaces.pod-a.routes[0].via" and diag["hint"]
    assert diag["severity"] == "error" and "not in a subnet" in diag["message"]


def test_file_over_the_size_limit_is_refused_unparsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:  # 50 MB of valid-looking YAML
        fh.write("name: big\nvars:\n")
        line = "  k: " + "x" * 90 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line)):
            fh.write(line)
    res = subprocess.run([TOPO, "validate", str(big)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert f"{big}:1:1: (top): file is 50.0 MiB, over the 10 MiB limit; not parsed" in res.stderr


def test_template_rendering_over_the_limit_is_refused(tmp_path: Path) -> None:
    lab = tmp_path / "huge.yaml"
    lab.write_text("name: huge\nvars: {n: 100000}\nnamespaces:\n{% for i in range(n) %}{% for j in range(10) %}\n"
                   "  pod-{{ i }}-{{ j }}: {description: padding padding padding}\n{% endfor %}{% endfor %}\n")
    res = subprocess.run([TOPO, "validate", str(lab)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "rendered template is over the 10 MiB limit" in res.stderr


def test_several_files_and_several_errors_at_once(tmp_path: Path) -> None:
    lab = tmp_path / "two.yaml"
    lab.write_text("name: lab\nnamespaces:\n  pod-a: {colour: red}\n  pod-b: {size: 3}\n")
    res = subprocess.run([TOPO, "validate", str(lab), str(EXAMPLES[0])], capture_output=True, text=True)
    assert res.returncode == 1
    assert f"{lab}:3:11: namespaces.pod-a.colour: unknown key 'colour'" in res.stderr
    assert f"{lab}:4:11: namespaces.pod-b.size: unknown key 'size'" in res.stderr
    assert f"{EXAMPLES[0]}: valid" in res.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_are_valid(path: Path) -> None:
    res = subprocess.run([TOPO, "validate", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert path.read_text().startswith("# yaml-language-server: $schema=../schemas/topology.schema.json\n")
