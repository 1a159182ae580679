"""Validating a file with `stages:`: the base lab and every stage's effective document, each
checked like an ordinary file, every problem reported at the YAML path it was written at.

`validate_staged` returns the model of one stage (the base lab unless a stage is asked for),
as an ordinary document with positions that point into the file, so that everything
downstream (plan, apply, check, render, graph, ui) sees a lab without stages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .diagnostics import Diagnostic, DiagnosticSink, Locator, Positioned, YamlPath, format_path
from .lesson import BASE, Effective, LessonStage, Origins, Overlay, translate
from .loader import LoadedDocument, Source
from .names import lab_name_problem

if TYPE_CHECKING:
    from .model import Topology

CheckData = Callable[[dict[str, Any], DiagnosticSink], "Topology | None"]

_REFERABLE = {"namespaces": "namespace", "bridges": "bridge", "nodes": "node"}
"""What a removal can leave another object pointing at, by name (an end `NAME:IF`, a check's `from`)."""
_NOT_REFERENCES = frozenset({"description", "labels", "processes", "name"})


@dataclass(frozen=True)
class StagePositions:
    """The file's positions, seen through a stage's effective document."""

    origins: Origins
    file: Positioned

    def value_at(self, path: YamlPath) -> tuple[int, int] | None:
        return self.file.value_at(translate(self.origins, path))

    def key_at(self, path: YamlPath) -> tuple[int, int] | None:
        return self.file.key_at(translate(self.origins, path))


@dataclass
class Lesson:
    """The stages of a file and which one a command works on (None: the base lab)."""

    stages: list[LessonStage]
    selected: str | None = None

    @property
    def names(self) -> list[str]:
        return [BASE] + [s.name for s in self.stages]


@dataclass
class Resolved:
    stage: LessonStage
    eff: Effective
    removed: list[tuple[str, str, YamlPath]] = field(default_factory=list)


def parse_stages(raw: Any, sink: DiagnosticSink) -> list[LessonStage]:
    out: list[LessonStage] = []
    seen: set[str] = set()
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            continue
        name, where = item.get("name"), ("stages", i, "name")
        if not isinstance(name, str):
            continue
        if (err := lab_name_problem(name)) is not None:
            sink.error(where, err.replace("lab name", "stage name"))
        elif name == BASE:
            sink.error(where, f"'{BASE}' is the lab without any stage; a stage cannot take that name")
        elif name in seen:
            sink.error(where, f"two stages are named '{name}'", "each stage needs a name of its own")
        seen.add(name)
        out.append(LessonStage(i, name, str(item.get("description", "")), item))
    return out


def _strings(value: Any, rel: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    if isinstance(value, str):
        yield rel, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _NOT_REFERENCES:
                yield from _strings(v, rel + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, rel + (i,))


def _refers(text: str, name: str) -> bool:
    return text == name or text.startswith(name + ":")


def _who(src: YamlPath, stages: list[LessonStage]) -> str:
    if src and src[0] == "stages" and len(src) > 1 and isinstance(src[1], int) and src[1] < len(stages):
        return f"stage '{stages[src[1]].name}'"
    return "the base lab"


def dependency_errors(resolved: list[Resolved], stages: list[LessonStage], sink: DiagnosticSink,
                      locate: Locator) -> set[int]:
    """A stage removing a namespace, bridge or node that an object still in the lab (at that
    stage or a later one) names: an error at the removal, naming both. Returns the stages
    from which on the effective documents are not worth validating."""
    blocked: set[int] = set()
    for k, res in enumerate(resolved):
        for kind, name, where in res.removed:
            if kind not in _REFERABLE:
                continue
            for later in resolved[k:]:
                if name in later.eff.maps.get(kind, {}):
                    break  # added again
                origins = later.eff.origins()
                found = [translate(origins, path + rel) for path, placed in later.eff.placed()
                         for rel, text in _strings(placed.value, ()) if _refers(text, name)]
                if found:
                    line, _ = locate(found[0])
                    sink.error(where, f"stage '{res.stage.name}' removes {_REFERABLE[kind]} '{name}', which "
                               f"{_who(found[0], stages)} still needs at {format_path(found[0])} (line {line})",
                               "remove or change what needs it in the same stage, or keep it")
                    blocked.add(k)
                    break
    return blocked


def _stage_topology(res: Resolved, base: dict[str, Any], doc: LoadedDocument, check: CheckData) -> tuple[
        "Topology | None", list[Diagnostic]]:
    origins = res.eff.origins()
    sink = DiagnosticSink(doc.source.name, Locator(StagePositions(origins, doc.positions)))
    topo = check(res.eff.document(base), sink)
    return topo, [replace(d, path=translate(origins, d.path)) for d in sink.items]


def _selected_document(doc: LoadedDocument, res: Resolved, base: dict[str, Any]) -> LoadedDocument:
    """The stage's document as an ordinary one: its text (what a checkpoint keeps) is the
    effective document; its positions point into the file."""
    data = res.eff.document(base)
    source = Source(doc.source.name, doc.source.text, json.dumps(data, indent=1) + "\n", doc.source.templated)
    return LoadedDocument(source, data, doc.variables, StagePositions(res.eff.origins(), doc.positions))  # type: ignore[arg-type]


@dataclass
class StagedResult:
    topology: "Topology | None"
    diagnostics: list[Diagnostic]
    document: LoadedDocument
    lesson: Lesson


def validate_staged(doc: LoadedDocument, stage: str | None, check: CheckData) -> StagedResult:
    """Every stage of the file checked; the model of `stage` (the base lab when None)."""
    data: dict[str, Any] = doc.data
    sink = DiagnosticSink(doc.source.name, doc.locator)
    stages = parse_stages(data.get("stages"), sink)
    lesson = Lesson(stages, stage)
    base = {k: v for k, v in data.items() if k != "stages"}
    topo = check(base, sink)
    resolved: list[Resolved] = []
    eff = Effective.of_base(base)
    for s in stages:
        eff = eff.copy()
        overlay = Overlay(s, eff, sink)
        overlay.apply()
        resolved.append(Resolved(s, eff, overlay.removed))
    blocked = dependency_errors(resolved, stages, sink, doc.locator)
    items = list(sink.items)
    first_blocked = min(blocked, default=len(resolved))
    chosen: Resolved | None = None
    for k, res in enumerate(resolved):
        if k >= first_blocked:
            break
        stage_topo, found = _stage_topology(res, base, doc, check)
        items += found
        if res.stage.name == stage:
            topo, chosen = stage_topo, res
    if stage is not None and stage not in lesson.names:
        asked = DiagnosticSink(doc.source.name, doc.locator)
        asked.error(("stages",) if stages else (), f"no stage named '{stage}' in this file"
                    + (f" (its stages: {', '.join(lesson.names)})" if stages else " (it has no stages:)"))
        items += asked.items
    if stage is not None and stage != BASE and chosen is None:
        topo = None
    selected = doc if chosen is None else _selected_document(doc, chosen, base)
    return StagedResult(topo, items, selected, lesson)
