"""Diagnostics: one problem in a topology file, located by file, line, column and YAML path.

Every layer before the kernel (load, validate) collects these instead of raising, so that
a user sees every problem of a file at once (netlab style), each with a hint where one helps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Iterable, Protocol

YamlPath = tuple[str | int, ...]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


def format_path(path: YamlPath) -> str:
    """`('namespaces', 'pod-a', 'routes', 0, 'via')` -> `namespaces.pod-a.routes[0].via`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    path: YamlPath
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        """One line (and a hint line) for a terminal: keys, values and file names may hold
        any character, so control characters are printed escaped."""
        from .names import escape

        sev = "warning: " if self.severity is Severity.WARNING else ""
        text = escape(f"{self.file}:{self.line}:{self.column}: {format_path(self.path)}: {sev}{self.message}")
        if self.hint:
            text += f"\n  hint: {escape(self.hint)}"
        return text

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = format_path(self.path)
        data["severity"] = self.severity.value
        return data


@dataclass
class DiagnosticSink:
    """Collects diagnostics for one file; positions come from the loader's position map."""

    file: str
    locate: "Locator"
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: YamlPath, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self._add(path, message, hint, Severity.ERROR, key)

    def warning(self, path: YamlPath, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self._add(path, message, hint, Severity.WARNING, key)

    def _add(self, path: YamlPath, message: str, hint: str | None, sev: Severity, key: bool) -> None:
        line, col = self.locate(path, key=key)
        self.items.append(Diagnostic(self.file, line, col, path, message, hint, sev))

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)


class Positioned(Protocol):
    def value_at(self, path: YamlPath) -> tuple[int, int] | None: ...

    def key_at(self, path: YamlPath) -> tuple[int, int] | None: ...


class Locator:
    """Maps a YAML path to a (line, column), both 1-based; falls back to the nearest ancestor."""

    def __init__(self, positions: Positioned):
        self._positions = positions

    def __call__(self, path: YamlPath, *, key: bool = False) -> tuple[int, int]:
        if key:
            found = self._positions.key_at(tuple(path))
            if found is not None:
                return found
        p = tuple(path)
        while p:
            found = self._positions.value_at(p)
            if found is not None:
                return found
            p = p[:-1]
        return self._positions.value_at(()) or (1, 1)


def sort_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(items, key=lambda d: (d.file, d.line, d.column, d.severity.value, d.message))


class TopoError(Exception):
    """An error that ends the command with exit status 1 and a message (never a traceback)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []
