"""Validate layer: JSON Schema first, then the desired model and its semantic checks.

`validate_file` is the one entry point the commands use: it returns the model and every
diagnostic of the file; it never touches the machine.
"""

from __future__ import annotations

import difflib
import gc
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping


from .checks import run_checks
from .desired import build_topology
from .diagnostics import Diagnostic, DiagnosticSink, Severity, TopoError, YamlPath, sort_diagnostics
from .loader import LoadedDocument, load
from .model import Topology

if TYPE_CHECKING:  # jsonschema is imported only when a file has schema errors (it is slow to import)
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_NAME = "topology.schema.json"

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def schema_path(name: str = SCHEMA_NAME) -> Path:
    """Where a published schema is: inside the installed package, or in the source tree."""
    packaged = resources.files("provisioner").joinpath("schemas", name)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schemas" / name


@lru_cache(maxsize=None)
def load_schema(name: str = SCHEMA_NAME) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text())


_DOLLAR = re.compile(r"(?<!\\)\$")


@lru_cache(maxsize=None)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """A schema pattern as ECMA 262 (and fastjsonschema) reads it: `$` is the end of the text.
    Python's `$` also matches before a final newline, which would let "lab\\n" through."""
    return re.compile(_DOLLAR.sub(r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=None)
def _validator(name: str = SCHEMA_NAME) -> jsonschema.Draft202012Validator:
    import jsonschema

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return cls(load_schema(name))  # type: ignore[no-any-return]


@lru_cache(maxsize=None)
def _fast_check(name: str = SCHEMA_NAME) -> Callable[[Any], Any]:
    """The same schema compiled to Python by fastjsonschema: a quick yes/no for valid files.

    Our schema uses only keywords that draft-07 shares with 2020-12 ($ref to #/$defs, type,
    properties, additionalProperties, required, oneOf, pattern, bounds), so it compiles as
    draft-07. jsonschema (2020-12) still produces every detailed message when the answer is no.
    """
    import fastjsonschema

    schema = dict(load_schema(name))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)


def schema_refusal(data: Any) -> Any:
    """None when `data` matches the schema, else fastjsonschema's first complaint (with `.path`)."""
    import fastjsonschema

    try:
        _fast_check()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc
    return None


def schema_is_valid(data: Any) -> bool:
    return schema_refusal(data) is None


def _pytype(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    for t, label in (((dict,), "a mapping"), ((list,), "a list"), ((str,), "a string"), ((int,), "an integer"), ((float,), "a number")):
        if isinstance(value, t):
            return label
    return type(value).__name__


def _describe_types(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_TYPE_NAMES.get(t, t) for t in names)


def _schema_errors(error: ValidationError, sink: DiagnosticSink) -> None:
    path: YamlPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("description")
    v = error.validator
    if v == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        for key in error.instance:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                khint = f"did you mean '{close[0]}'?" if close else ("allowed here: " + ", ".join(allowed) if allowed else None)
                sink.error(path + (str(key),), f"unknown key '{key}'", khint, key=True)
        return
    if v == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            sub = schema.get("properties", {}).get(key, {})
            sink.error(path, f"missing required key '{key}'", sub.get("description"), key=True)
        return
    if v == "type":
        sink.error(path, f"must be {_describe_types(error.validator_value)}, not {_pytype(error.instance)}", hint)
        return
    if v in ("oneOf", "anyOf"):
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(sub.schema_path[0], []).append(sub)
        # a branch whose top-level type matches the value says the most
        fitting = [errs for errs in branches.values() if not any(e.validator == "type" and not e.relative_path for e in errs)]
        if len(fitting) == 1:
            for sub in fitting[0]:
                _schema_errors(sub, sink)
            return
        types = [b.get("type") for b in error.validator_value if isinstance(b, dict) and "type" in b]
        if types:
            sink.error(path, f"must be {' or '.join(_describe_types(t) for t in types)}, not {_pytype(error.instance)}", hint)
        else:
            sink.error(path, f"invalid value {error.instance!r}", hint)
        return
    if v == "pattern":
        sink.error(path, f"invalid value {error.instance!r}", hint)
        return
    sink.error(path, error.message, hint)


@dataclass
class ValidationResult:
    file: str
    topology: Topology | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    document: LoadedDocument | None = None

    @property
    def ok(self) -> bool:
        return self.topology is not None and not any(d.severity is Severity.ERROR for d in self.diagnostics)


def validate_document(doc: LoadedDocument) -> ValidationResult:
    sink = DiagnosticSink(doc.source.name, doc.locator)
    data = doc.data
    if not isinstance(data, dict):
        sink.error((), f"a topology must be a mapping with `name:` and namespaces, not {_pytype(data)}",
                   "start with `name: my-lab`")
        return ValidationResult(doc.source.name, None, sink.items, doc)
    refusal = schema_refusal(data)
    if refusal is not None:
        for error in _validator().iter_errors(data):
            _schema_errors(error, sink)
        if not sink.has_errors:  # the two validators disagree: the quick one's word still stands
            sink.error(tuple(refusal.path[1:]), refusal.message.removeprefix("data."))
    if sink.has_errors:
        return ValidationResult(doc.source.name, None, _unique(sink.items), doc)
    topo = build_topology(data, sink)
    if not sink.has_errors:
        run_checks(topo, sink)
    items = _unique(sink.items)
    ok = not any(d.severity is Severity.ERROR for d in items)
    return ValidationResult(doc.source.name, topo if ok else None, items, doc)


def _unique(items: list[Diagnostic]) -> list[Diagnostic]:
    return sort_diagnostics(dict.fromkeys(items))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large, acyclic tree is built: its collections
    would rescan every object made so far (a third of the time for a 10,000-namespace lab)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_file(
    path: Path | str, overrides: Mapping[str, str] | None = None, vars_files: list[Path] | None = None
) -> ValidationResult:
    with paused_gc():
        try:
            doc = load(path, overrides, vars_files)
        except TopoError as exc:
            return ValidationResult(str(path), None, exc.diagnostics)
        return validate_document(doc)


def load_topology(path: Path | str, overrides: Mapping[str, str] | None = None, vars_files: list[Path] | None = None) -> Topology:
    """The model of a valid file, or TopoError carrying every diagnostic."""
    result = validate_file(path, overrides, vars_files)
    if result.topology is None or not result.ok:
        errors = [d for d in result.diagnostics]
        raise TopoError("\n".join(d.render() for d in errors), errors)
    return result.topology


def iter_errors(results: list[ValidationResult]) -> Iterator[Diagnostic]:
    for r in results:
        yield from r.diagnostics
