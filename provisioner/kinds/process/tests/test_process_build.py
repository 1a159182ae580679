"""The process builder (root-free)."""

from __future__ import annotations

import pytest

from provisioner.diagnostics import format_path
from provisioner.loader import load_text
from provisioner.model import Process
from provisioner.validate import validate_document


def validated(processes: str):  # type: ignore[no-untyped-def]
    return validate_document(load_text("t.yaml", f"name: lab\nnamespaces: {{a: {{processes: {processes}}}}}\n"))


@pytest.mark.parametrize("processes,expected", [
    ("{web: sleep 100}", Process("web", "sleep 100")),
    ("{web: {command: sleep 1, env: {B: true, A: 2}, user: nobody}}", Process("web", "sleep 1", (("A", "2"), ("B", "1")), None, "nobody")),
])
def test_built_processes(processes: str, expected: Process) -> None:
    topo = validated(processes).topology
    assert topo is not None and topo.nodes["host"].namespaces["a"].processes == {"web": expected}


@pytest.mark.parametrize("processes,path,fragment", [
    ("{'a b': sleep 1}", "namespaces.a.processes.a b", "'a b' is not a valid process name"),
    ('{web: "sleep\\0"}', "namespaces.a.processes.web", "the command contains a NUL character"),
    ('{web: {command: sleep 1, env: {X: "a\\0"}}}', "namespaces.a.processes.web.env.X", "the value of X contains a NUL character"),
])
def test_refused_processes(processes: str, path: str, fragment: str) -> None:
    found = [(format_path(d.path), d.message) for d in validated(processes).diagnostics]
    assert len(found) == 1 and found[0][0] == path and fragment in found[0][1], found
