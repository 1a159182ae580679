"""The capture round trip as a library (no kernel): a captured state's file is rendered,
validated and read back, or TopoError says why and carries the diagnostics."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

import provisioner.capture_check as capture_check
from conftest import LOCAL_EXAMPLES
from provisioner.capture import Capture, render
from provisioner.capture_check import INVALID, NOT_READ_BACK, checked_file
from provisioner.diagnostics import TopoError
from provisioner.loader import load_text
from provisioner.model import Topology
from provisioner.validate import schema_path, validate_document, validate_file


def valid(path: Path) -> Topology:
    result = validate_file(path)
    assert result.ok and result.topology is not None
    return result.topology


def captured(topo: Topology) -> Capture:
    names = sorted(n for node in topo.nodes.values() for n in node.namespaces)
    return Capture(topo, names, True, False, datetime(2026, 1, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("path", LOCAL_EXAMPLES, ids=lambda p: p.name)
def test_an_example_reads_back_as_itself(path: Path, tmp_path: Path) -> None:
    topo = valid(path)
    out = tmp_path / "sub" / "lab.yaml"
    out.parent.mkdir()
    checked = checked_file(captured(topo), out)
    assert validate_document(load_text("again", checked.text)).topology == topo
    modeline = checked.text.splitlines()[0]
    ref = modeline.removeprefix("# yaml-language-server: $schema=")
    assert not Path(ref).is_absolute() and (out.parent / ref).resolve() == schema_path().resolve()


def test_on_stdout_the_modeline_names_the_schema_absolutely() -> None:
    checked = checked_file(captured(valid(LOCAL_EXAMPLES[0])), None)
    assert checked.text.splitlines()[0] == f"# yaml-language-server: $schema={schema_path()}"


def test_an_invalid_state_raises_with_the_diagnostics_and_the_file_name() -> None:
    bad = replace(valid(LOCAL_EXAMPLES[0]), name="Bad Name!")
    with pytest.raises(TopoError) as info:
        checked_file(captured(bad), Path("/nowhere/cap.yaml"))
    assert str(info.value) == INVALID
    assert [d.path for d in info.value.diagnostics] == [("name",)]
    assert info.value.diagnostics[0].file == "/nowhere/cap.yaml (captured, not written)"


def test_a_file_that_reads_back_otherwise_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    topo = valid(LOCAL_EXAMPLES[0])
    other = replace(topo, description="not what was captured")
    monkeypatch.setattr(capture_check, "render", lambda cap, ref: render(replace(cap, topology=other), ref))
    with pytest.raises(TopoError) as info:
        checked_file(captured(topo), None)
    assert str(info.value) == NOT_READ_BACK
