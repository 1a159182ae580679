"""Lesson stages, root-free: how overlays resolve (cumulative add, change as a merge patch,
remove by key), where their mistakes are reported, the stage completion, and that a stage's
document (what a checkpoint keeps) is an ordinary file of the same lab."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
import pytest

from provisioner.cli.stages import complete_stages, stage_option
from provisioner.diagnostics import format_path
from provisioner.lesson import COLLECTIONS
from provisioner.loader import load_text
from provisioner.validate import load_schema, validate_document

BASE = """\
name: lab
namespaces:
  pod-a: {interfaces: {lo: {up: true}}, processes: {web: sleep 100}}
  pod-b: {}
bridges:
  br0: {addresses: [10.0.0.1/24]}
links:
  - {a: "pod-a:eth0", b: "br0:veth-a"}
  - {a: "pod-b:eth0", b: "br0:veth-b"}
checks:
  - {name: a-to-b, from: pod-a, to: 10.0.0.1}
stages:
"""


def effective(stages: str, stage: str) -> dict[str, Any]:
    result = validate_document(load_text("t.yaml", BASE + stages), stage)
    assert result.ok, [d.render() for d in result.diagnostics]
    assert result.document is not None
    return json.loads(result.document.source.rendered)


def errors(stages: str, stage: str | None = None) -> set[tuple[int, str, str]]:
    result = validate_document(load_text("t.yaml", BASE + stages), stage)
    assert not result.ok
    return {(d.line, format_path(d.path), d.message) for d in result.diagnostics}


def test_every_top_level_key_of_the_schema_is_known_to_stages() -> None:
    top = set(load_schema()["properties"]) - {"name", "vars", "stages"}
    assert top == set(COLLECTIONS)


RESOLVED = [
    ("add a namespace and its link",
     "  - {name: s1, add: {namespaces: {pod-c: {}}, links: [{a: 'pod-c:eth0', b: 'br0:veth-c'}]}}\n", "s1",
     lambda d: "pod-c" in d["namespaces"] and d["links"][-1]["b"] == "br0:veth-c"),
    ("change merges mappings and replaces lists",
     "  - {name: s1, change: {bridges: {br0: {addresses: [10.0.0.2/24], mtu: 1400}}}}\n", "s1",
     lambda d: d["bridges"]["br0"] == {"addresses": ["10.0.0.2/24"], "mtu": 1400}),
    ("a null in change removes the key",
     "  - {name: s1, change: {namespaces: {pod-a: {processes: null}}}}\n", "s1",
     lambda d: d["namespaces"]["pod-a"] == {"interfaces": {"lo": {"up": True}}}),
    ("a link is removed by either end",
     "  - {name: s1, remove: {links: ['br0:veth-a']}}\n", "s1",
     lambda d: [link["a"] for link in d["links"]] == ["pod-b:eth0"]),
    ("a check is removed by its name, a namespace by its name",
     "  - {name: s1, remove: {checks: [a-to-b], namespaces: [pod-b], links: ['pod-b:eth0']}}\n", "s1",
     lambda d: "checks" not in d and set(d["namespaces"]) == {"pod-a"}),
    ("a list item is changed by its key",
     "  - {name: s1, change: {links: [{a: 'pod-b:eth0', mtu: 1300}]}}\n", "s1",
     lambda d: d["links"][1] == {"a": "pod-b:eth0", "b": "br0:veth-b", "mtu": 1300}),
    ("stages are cumulative; a stage's checks are added",
     "  - {name: s1, add: {namespaces: {pod-c: {}}}}\n"
     "  - {name: s2, change: {namespaces: {pod-c: {description: third}}}, checks: [{from: pod-c, to: 127.0.0.1}]}\n", "s2",
     lambda d: d["namespaces"]["pod-c"] == {"description": "third"} and len(d["checks"]) == 2),
    ("an earlier stage is not changed by a later one",
     "  - {name: s1, add: {namespaces: {pod-c: {}}}}\n  - {name: s2, remove: {namespaces: [pod-c]}}\n", "s1",
     lambda d: "pod-c" in d["namespaces"]),
]


@pytest.mark.parametrize("stages,stage,holds", [c[1:] for c in RESOLVED], ids=[c[0] for c in RESOLVED])
def test_overlay_resolves(stages: str, stage: str, holds: Any) -> None:
    doc = effective(stages, stage)
    assert "stages" not in doc and doc["name"] == "lab"
    assert holds(doc), doc


REFUSED = [
    ("a stage cannot add the lab's name",
     "  - {name: s1, add: {name: other}}\n", (13, "stages[0].add.name", "a stage cannot add 'name'")),
    ("a change of a list item needs its key",
     "  - {name: s1, change: {links: [{mtu: 1300}]}}\n",
     (13, "stages[0].change.links[0]", "a change of links names the link by either end, `OWNER:IFNAME`")),
    ("a single value changed before it is there",
     "  - {name: s1, change: {serviceCIDR: 10.96.0.0/12}}\n",
     (13, "stages[0].change.serviceCIDR", "stage 's1' changes 'serviceCIDR', which the lab does not have at this stage")),
    ("a check added twice by name",
     "  - {name: s1, checks: [{name: a-to-b, from: pod-b, to: 10.0.0.1}]}\n",
     (13, "stages[0].checks[0]", "stage 's1' adds check 'a-to-b', which the lab already has")),
    ("a removal that the base lab's link still needs",
     "  - {name: s1, remove: {bridges: [br0]}}\n",
     (13, "stages[0].remove.bridges[0]",
      "stage 's1' removes bridge 'br0', which the base lab still needs at links[0].b (line 8)")),
    ("a semantic problem of a later stage, at its own line",
     "  - {name: s1}\n  - name: s2\n    add:\n      routes: [{to: 10.9.0.0/16, via: 192.168.7.1}]\n",
     (16, "stages[1].add.routes[0].via", "gateway 192.168.7.1 is not in a subnet connected to node host")),
]


@pytest.mark.parametrize("stages,wanted", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_overlay_mistakes_are_located_in_the_stage(stages: str, wanted: tuple[int, str, str]) -> None:
    found = errors(stages)
    assert wanted in found, sorted(found)


def test_an_unknown_stage_is_refused_with_the_file_s_stages() -> None:
    assert errors("  - {name: s1}\n", "s9") == {(13, "stages", "no stage named 's9' in this file (its stages: base, s1)")}
    result = validate_document(load_text("t.yaml", "name: lab\n"), "s1")
    assert [(d.line, d.message) for d in result.diagnostics] == [(1, "no stage named 's1' in this file (it has no stages:)")]


def test_a_stage_document_is_an_ordinary_file_of_the_same_lab() -> None:
    stages = "  - {name: s1, add: {namespaces: {pod-c: {}}}, remove: {links: ['pod-a:eth0']}}\n"
    result = validate_document(load_text("t.yaml", BASE + stages), "s1")
    assert result.ok and result.document is not None
    again = validate_document(load_text("checkpoint.yaml", result.document.source.rendered))
    assert again.ok and again.topology == result.topology and again.lesson is None
    base = validate_document(load_text("t.yaml", BASE + stages))
    assert base.topology != result.topology and base.lesson is not None and base.lesson.names == ["base", "s1"]


def test_stage_names_complete_from_the_file_and_never_fail(tmp_path: Path) -> None:
    @click.command()
    @click.argument("file", type=click.Path(path_type=Path))
    @stage_option("x")
    def cmd(file: Path, stage: str | None) -> None:
        pass

    lab = tmp_path / "lab.yaml"
    lab.write_text(BASE + "  - {name: pause}\n  - {name: veth}\n  - {name: pod-to-pod}\n")
    param = next(p for p in cmd.params if p.name == "stage")
    for file, incomplete, names in [(lab, "", ["base", "pause", "veth", "pod-to-pod"]), (lab, "p", ["pause", "pod-to-pod"]),
                                    (tmp_path / "missing.yaml", "", []), (tmp_path, "", [])]:
        ctx = click.Context(cmd, info_name="cmd")
        ctx.params["file"] = file
        assert [c.value for c in complete_stages(ctx, param, incomplete)] == names
    lab.write_text("name: [unclosed\n")
    ctx.params["file"] = lab
    assert complete_stages(ctx, param, "") == []


@pytest.mark.parametrize("stage,believed", [("veth", "veth"), ("base", "base"), ("gone", None), (None, None)])
def test_the_record_keeps_the_stage_and_only_a_stage_of_the_file_is_believed(tmp_path: Path, stage: str | None,
                                                                            believed: str | None) -> None:
    from provisioner import state
    from provisioner.cli.stages import current_stage, record_stage
    from provisioner.lesson_validate import Lesson, LessonStage
    from provisioner.roots import Roots

    roots = Roots(tmp_path, tmp_path / "etc-netns", tmp_path / "hosts", tmp_path / "run", tmp_path / "netns")
    state.save_record(roots, state.LabRecord("lab1", "host"))
    record_stage(roots, "lab1", stage)
    rec = state.load_record(roots, "lab1")
    assert rec is not None and rec.stage == stage
    lesson = Lesson([LessonStage(0, "veth", "", {})])
    if os.geteuid() == 0:
        assert current_stage(roots, "lab1", lesson) == believed


@pytest.mark.parametrize("bad", ["bad name", "", 7, "x" * 40])
def test_a_record_with_a_stage_topo_would_not_write_is_corrupt(tmp_path: Path, bad: Any) -> None:
    from provisioner import state
    from provisioner.roots import Roots

    roots = Roots(tmp_path, tmp_path / "etc-netns", tmp_path / "hosts", tmp_path / "run", tmp_path / "netns")
    state.save_record(roots, state.LabRecord("lab1", "host"))
    path = state.record_path(roots, "lab1")
    path.write_text(json.dumps({**json.loads(path.read_text()), "stage": bad}))
    with pytest.raises(state.CorruptRecord, match="stage is not a stage name"):
        state.load_record(roots, "lab1")
