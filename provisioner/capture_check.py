"""The capture round trip: the file `topo save` writes must be a valid topology file that
reads back as exactly the captured state, or nothing is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .capture import Capture, render
from .diagnostics import Diagnostic, Severity, TopoError
from .loader import load_text
from .validate import schema_path, validate_document

INVALID = "error: the captured state does not make a valid topology file; nothing was written"
NOT_READ_BACK = "internal error: the written file would not read back as the captured state; nothing was written"


@dataclass(frozen=True)
class CheckedFile:
    """A captured state's file, checked: its text and the warnings validating it gave."""

    text: str
    warnings: tuple[Diagnostic, ...]


def schema_ref(output: Path | None) -> str:
    """The schema as the file's modeline names it: relative to the file's folder, or absolute on stdout."""
    schema = schema_path()
    return os.path.relpath(schema, output.resolve().parent) if output is not None else str(schema)


def checked_file(cap: Capture, output: Path | None) -> CheckedFile:
    """Render `cap` as the file to write to `output` (None: stdout), validate it and check it
    reads back as `cap.topology`. Raises TopoError (its diagnostics say why) otherwise."""
    text = render(cap, schema_ref(output))
    name = f"{output if output is not None else '<stdout>'} (captured, not written)"
    try:
        result = validate_document(load_text(name, text))
    except TopoError as exc:
        raise TopoError(INVALID, exc.diagnostics)
    if not result.ok:
        raise TopoError(INVALID, result.diagnostics)
    warnings = tuple(d for d in result.diagnostics if d.severity is Severity.WARNING)
    if result.topology != cap.topology:
        raise TopoError(NOT_READ_BACK, list(warnings))
    return CheckedFile(text, warnings)
