"""Hostile templates and variables (issue points 8, 9 and 11): rendering is bounded in time and
size, special files are refused before they can block a read, and a variable is data: printed
into the template it can never become YAML syntax (a key, a namespace, a process)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import threading
import time
from pathlib import Path

import pytest

from provisioner.diagnostics import TopoError
from provisioner.loader import MAX_RENDER_SECONDS, load, render_template
from sandbox import TOPO, Sandbox

GIB = 1 << 30


def validate(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`topo validate` under a 2 GiB address-space limit (a template that allocates without bound dies)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * GIB, 2 * GIB))

    return subprocess.run([TOPO, "validate", *args], capture_output=True, text=True, timeout=timeout, preexec_fn=limit)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- 8. bounded rendering ------------------------------------------------------------------------

DOUBLING = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = SNIPPET %}{% endfor %}"
BOMBS = {
    "concat": ("name: x\n" + DOUBLING.replace("SNIPPET", "ns.s ~ ns.s") + "\n", "joining with ~ would make"),
    "plus": ("name: x\n" + DOUBLING.replace("SNIPPET", "ns.s + ns.s") + "\n", "adding texts would make"),
    "block": ("name: x\n{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set t %}{{ ns.s }}{{ ns.s }}"
              "{% endset %}{% set ns.s = t %}{% endfor %}\n", "a block's text would make"),
    "macro": ("name: x\n{% macro m(x) %}{{ x }}{{ x }}{% endmacro %}" + DOUBLING.replace("SNIPPET", "m(ns.s)") + "\n",
              "a block's text would make"),
    "extend": ("name: x\n{% set l = [1] %}{% for i in range(40) %}{% set _ = l.extend(l) %}{% endfor %}\n",
               "extend() would make"),
    "join": ("name: x\n{% set l = ['x' * 5000000] * 1000 %}description: {{ l | join }}\n", "| join would make"),
    "join-method": ("name: x\n{% set l = ['x' * 5000000] * 1000 %}description: {{ ''.join(l) }}\n", "join() would make"),
    "tojson": ("name: x\n{% set l = ['x' * 5000000] * 1000 %}description: {{ l | tojson }}\n", "| tojson would make"),
    "string": ("name: x\n{% set l = ['x' * 5000000] * 1000 %}description: {{ l | string }}\n", "would make"),
    "format-method": ("name: x\ndescription: {{ '{:>999999999}'.format(1) }}\n", "format() would make"),
    "format-filter": ("name: x\ndescription: {{ '%0999999999d' | format(1) }}\n", "| format would make"),
    "percent": ("name: x\ndescription: {{ '%0999999999d' % 1 }}\n", "formatting with % would make"),
    "percent-star": ("name: x\ndescription: {{ '%*d' % (999999999, 1) }}\n", "formatting with % would make"),
    "replace": ("name: x\n{% set s = 'x' * 5000000 %}description: {{ s | replace('x', 'yyyy') }}\n", "| replace would make"),
    "center": ("name: x\ndescription: {{ 'x' | center(10**10) }}\n", "| center would make"),
    "ljust": ("name: x\ndescription: {{ 'x'.ljust(10**10) }}\n", "ljust() would make"),
    "indent": ("name: x\ndescription: {{ 'a' | indent(10**10, true) }}\n", "| indent would make"),
    "lipsum": ("name: x\ndescription: {{ lipsum(10**7) }}\n", "lipsum() would make"),
    "batch": ("name: x\ndescription: {{ [1] | batch(10**9, 0) | list }}\n", "| batch(1,000,000,000) is over"),
    "keep-lists": ("name: x\n{% set keep = [] %}{% for i in range(100000) %}"
                   "{% set _ = keep.append(range(100000) | list) %}{% endfor %}\n", " (limit)"),  # built or time
    "keep-texts": ("name: x\n{% set s = 'x' * 5000000 %}{% set keep = [] %}{% for i in range(100000) %}"
                   "{% set _ = keep.append(s ~ i) %}{% endfor %}\n", " (limit)"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_template_cannot_build_more_than_the_limit(tmp_path: Path, name: str) -> None:
    text, message = BOMBS[name]
    path = write(tmp_path, f"{name}.yaml", text)
    start = time.monotonic()
    res = validate(str(path))
    assert res.returncode == 1, res.stderr
    assert re.search(rf"^{re.escape(str(path))}:2:1: \(top\): template error: .*{re.escape(message)}", res.stderr,
                     re.MULTILINE), res.stderr
    assert "hint: " in res.stderr and "Traceback" not in res.stderr
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("levels", [2, 3])
def test_nested_loops_stop_at_the_deadline(tmp_path: Path, levels: int) -> None:
    loops = "".join("{% for i" + str(k) + " in range(100000) %}" for k in range(levels)) + "{% endfor %}" * levels
    path = write(tmp_path, "loops.yaml", f"name: x\nnamespaces:\n{loops}\n")
    start = time.monotonic()
    res = validate(str(path), timeout=60)
    assert time.monotonic() - start < MAX_RENDER_SECONDS + 10
    assert res.returncode == 1
    assert f"{path}:3:1: (top): template error: rendering took over 5 s (limit)" in res.stderr, res.stderr
    assert "hint: check the loop bounds" in res.stderr


def test_the_deadline_works_off_the_main_thread() -> None:
    text = "name: x\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            render_template("t.yaml", text, {})
            outcome.append(None)
        except TopoError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(MAX_RENDER_SECONDS + 20)
    assert not worker.is_alive() and outcome and outcome[0] is not None
    assert "rendering took over 5 s (limit)" in str(outcome[0])


def test_a_normal_templated_lab_renders_well_inside_the_limits() -> None:
    lab = ("name: big\nvars: {n: 10000}\nnamespaces:\n{% for i in range(n) %}{% set a = i + 2 %}"
           "{% set ip = '10.0.' ~ (a // 256) ~ '.' ~ (a % 256) %}\n"
           "  pod-{{ i }}:\n    interfaces: {eth0: {addresses: [{{ ip }}/16]}}\n    hosts: {pod-{{ i }}: {{ ip }}}\n"
           "{% endfor %}\n")
    start = time.monotonic()
    out = render_template("big.yaml", lab, {"n": 10000})
    assert time.monotonic() - start < 2
    assert "  pod-9999:\n    interfaces: {eth0: {addresses: [10.0.39.17/16]}}\n" in out


@pytest.mark.parametrize("kind", ["fifo-file", "fifo-vars-file", "device", "directory"])
def test_special_files_are_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    lab = write(tmp_path, "lab.yaml", "name: x\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args, shown, what = {
        "fifo-file": ([str(fifo)], fifo, "a FIFO (named pipe)"),
        "fifo-vars-file": ([str(lab), "--vars-file", str(fifo)], fifo, "a FIFO (named pipe)"),
        "device": (["/dev/zero"], Path("/dev/zero"), "a character device"),
        "directory": ([str(tmp_path)], tmp_path, "a directory"),
    }[kind]
    res = validate(*args, timeout=20)  # before the fix: blocked forever on open()
    assert res.returncode == 1
    assert f"{shown}:1:1: (top): is {what}, not a topology file" in res.stderr, res.stderr


# ---- 9. variables are data -------------------------------------------------------------------------

LAB = "name: lab\nvars: {note: hello}\ndescription: {{ note }}\n"
INJECTED = "hello\nnamespaces:\n  evil: {processes: {p: touch MARKER}}"


def test_a_var_with_yaml_cannot_add_a_namespace(tmp_path: Path) -> None:
    lab = write(tmp_path, "lab.yaml", LAB)
    res = validate(str(lab), "--var", "note=" + INJECTED.replace("MARKER", "/nonexistent"))
    assert res.returncode == 1
    assert f"{lab}:3:1: (top): template error: {{{{ note }}}} gives 'hello\\nnamespaces:" in res.stderr, res.stderr
    assert "a variable is data, never YAML text" in res.stderr and "| tojson" in res.stderr


@pytest.mark.parametrize("value", [INJECTED.replace("MARKER", "x"), "x: y", "x, evil: 1", "x}, evil: {a: 1", "a #b",
                                   "'q'", "\"q\"", "a\\", "- a", "&x", "*x", " x", "x\u2028y", "x\x85y"])
def test_a_vars_file_value_that_is_not_plain_text_is_refused(tmp_path: Path, value: str) -> None:
    import json

    lab = write(tmp_path, "lab.yaml", "name: lab\nnamespaces:\n  a: {description: {{ note }}}\n  b:\n"
                                      "    description: \"{{ note }}\"\n")
    varsfile = write(tmp_path, "vars.yaml", f"note: {json.dumps(value)}\n")
    res = validate(str(lab), "--vars-file", str(varsfile))
    assert res.returncode == 1
    assert f"{lab}:3:" in res.stderr and "{{ note }} gives " in res.stderr, res.stderr


@pytest.mark.parametrize("value,kind", [("[1, 2]", "a list"), ("{a: 1}", "a mapping")])
def test_lists_and_mappings_are_not_printed_raw(tmp_path: Path, value: str, kind: str) -> None:
    lab = write(tmp_path, "lab.yaml", "name: lab\ndescription: {{ v }}\n")
    res = validate(str(lab), "--var", f"v={value}")
    assert res.returncode == 1 and f"{{{{ v }}}} is {kind}" in res.stderr and "{{ v | tojson }}" in res.stderr


def test_tojson_inserts_any_text_as_one_string(tmp_path: Path) -> None:
    lab = write(tmp_path, "lab.yaml", "name: lab\nnamespaces:\n  a: {description: {{ note | tojson }}}\n")
    value = INJECTED.replace("MARKER", "x") + "\u2028\x85 \"q\" 'q' \\ é 😀"
    doc = load(lab, {"note": value})
    assert list(doc.data["namespaces"]) == ["a"]
    assert doc.data["namespaces"]["a"]["description"] == value


def test_plain_values_keep_working(tmp_path: Path) -> None:
    lab = write(tmp_path, "lab.yaml",
                "name: lab\nvars: {subnet: 10.88.0, v6: 'fd00::1', url: 'http://x/y?a=b', desc: 'a b-c.d'}\n"
                "namespaces:\n{% for i in range(2) %}\n  pod-{{ i }}:\n"
                "    interfaces: {eth0: {addresses: [{{ subnet }}.{{ 10 + i }}/24, \"{{ v6 }}{{ i }}/64\"]}}\n"
                "    description: \"{{ desc }} {{ url }} {{ -i }} {{ 1.5 }} {{ true }}\"\n{% endfor %}\n")
    data = load(lab).data
    assert data["namespaces"]["pod-1"]["interfaces"]["eth0"]["addresses"] == ["10.88.0.11/24", "fd00::11/64"]
    assert data["namespaces"]["pod-1"]["description"] == "a b-c.d http://x/y?a=b -1 1.5 True"


def test_a_template_constant_is_its_authors_text(tmp_path: Path) -> None:
    """Constants are not variables: `{{ '{' }}` (how `topo save` escapes braces) still works."""
    lab = write(tmp_path, "lab.yaml", "name: lab\ndescription: \"a {{ '{' }}{ b }} {{ '#: x' }}\"\n")
    assert load(lab).data["description"] == "a {{ b }} #: x"


def test_a_var_that_yaml_11_misreads_is_refused(tmp_path: Path) -> None:
    lab = write(tmp_path, "lab.yaml", "name: lab\nbridges:\n  br0: {mtu: {{ mtu }}}\n")
    res = validate(str(lab), "--var", "mtu=01500")
    assert res.returncode == 1
    assert f"{lab}:1:1: (top): --var mtu: 01500 is read by YAML 1.1 as octal 832, not as 1500" in res.stderr


def test_apply_never_runs_a_process_a_var_injected(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    lab = write(tmp_path, "lab.yaml", LAB)
    before = sandbox.snapshot()
    res = sandbox.topo("apply", str(lab), "--var", "note=" + INJECTED.replace("MARKER", str(marker)), check=False)
    assert res.returncode == 1 and "a variable is data" in res.stderr, res.stderr
    time.sleep(0.5)
    assert not marker.exists()
    assert sandbox.snapshot() == before
