"""Load layer: read a topology file safely, render it with Jinja2, parse the YAML with positions.

Nothing here knows what a topology means; it returns plain data plus a position map.
Every failure becomes a Diagnostic (file, line, column, YAML path, message, hint).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Mapping

from .diagnostics import Locator, TopoError, YamlPath
from .sourcefile import MAX_FILE_BYTES, collect_variables, fail, is_stdin, read_stdin, read_text
from .sourcefile import display_name as source_name
from .template_budget import (
    LIMIT_HINT, MAX_ITEMS, MAX_POWER_BITS, MAX_RENDER_BYTES, MAX_RENDER_SECONDS, MIB, TemplateLimit,
)
from .template_env import bounded_environment
from .yamlpos import Positions, YamlLoadError, load_values, load_yaml

__all__ = [
    "MAX_FILE_BYTES", "MAX_ITEMS", "MAX_POWER_BITS", "MAX_RENDER_BYTES", "MAX_RENDER_SECONDS", "LoadedDocument", "Source",
    "TemplateLimit", "collect_variables", "load", "load_text", "read_text", "render_template",
]

_TEMPLATE_MARKERS = ("{{", "{%", "{#")


@dataclass(frozen=True)
class Source:
    """One topology file: what was read and what the template rendered."""

    name: str
    text: str
    rendered: str
    templated: bool


@dataclass
class LoadedDocument:
    source: Source
    data: Any
    variables: dict[str, Any] = field(default_factory=dict)
    _positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        """Where each value stands; parsed again on first use (only files with problems need it)."""
        if self._positions is None:
            self._positions = load_yaml(self.source.rendered)[1]
        return self._positions

    @property
    def locator(self) -> Locator:
        return Locator(self)

    def value_at(self, path: YamlPath) -> tuple[int, int] | None:
        return self.positions.value_at(path)

    def key_at(self, path: YamlPath) -> tuple[int, int] | None:
        return self.positions.key_at(path)


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _undefined_names(env: Any, text: str, variables: Mapping[str, Any]) -> list[str]:
    from jinja2 import meta

    names = meta.find_undeclared_variables(env.parse(text))
    return sorted(n for n in names if n not in variables and n not in env.globals)


def render_template(name: str, text: str, variables: Mapping[str, Any]) -> str:
    """Render with Jinja2 (sandboxed and bounded, StrictUndefined). Errors point to the template line."""
    import jinja2  # only templated files need it

    env = bounded_environment()(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    filename = f"<topology {name}>"
    try:
        code = env.compile(text, name=name, filename=filename)
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except jinja2.TemplateSyntaxError as exc:
        raise fail(name, f"template syntax error: {exc.message}", exc.lineno or 1, hint="see the Jinja2 template syntax") from None
    except TemplateLimit as exc:
        raise fail(name, f"template error: {exc.message}", 1, hint=exc.hint) from None
    except Exception as exc:  # noqa: BLE001 - a template is user code: whatever it raises is its error
        raise fail(name, f"template error: {type(exc).__name__}: {exc}", 1) from None
    env.budget.deadline = time.monotonic() + MAX_RENDER_SECONDS  # compiling is bounded by the file's size
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                line = _template_line(sys.exc_info()[2], filename) or 1
                raise fail(name, f"the rendered template is over the {MAX_FILE_BYTES // MIB} MiB limit", line,
                            hint=LIMIT_HINT)
            out.append(chunk)
            if not len(out) & 255:  # a chunk is quick to make: look at the clock every 256
                env.budget.tick()
    except TopoError:
        raise
    except TemplateLimit as exc:
        raise fail(name, f"template error: {exc.message}", _template_line(exc.__traceback__, filename) or 1,
                    hint=exc.hint) from None
    except jinja2.UndefinedError as exc:
        line = _template_line(exc.__traceback__, filename) or 1
        raise fail(name, f"template error: {exc.message}", line,
                    hint="define it under vars:, or pass --var NAME=VALUE") from None
    except jinja2.TemplateError as exc:
        line = _template_line(exc.__traceback__, filename) or 1
        raise fail(name, f"template error: {exc.message or exc}", line) from None
    except Exception as exc:  # noqa: BLE001 - a template is user code: whatever it raises is its error
        line = _template_line(exc.__traceback__, filename) or 1
        missing = _undefined_names(env, text, variables)
        if missing:  # e.g. range(n) with n undefined fails with a TypeError: say what is missing
            raise fail(name, f"template error: {', '.join(repr(m) for m in missing)} "
                        f"{'is' if len(missing) == 1 else 'are'} undefined", line,
                        hint="define it under vars:, or pass --var NAME=VALUE") from None
        raise fail(name, f"template error: {type(exc).__name__}: {exc}", line) from None
    return "".join(out)


def load(
    path: Path | str,
    overrides: Mapping[str, str] | None = None,
    vars_files: list[Path] | None = None,
    *,
    display_name: str | None = None,
) -> LoadedDocument:
    """Read, render and parse one topology file (`-`: standard input, named `<stdin>`). Raises
    TopoError (with diagnostics) on failure."""
    name = display_name or source_name(path)
    text = read_stdin(name) if is_stdin(path) else read_text(Path(path), name)
    return load_text(name, text, overrides, vars_files)


def load_text(
    name: str, text: str, overrides: Mapping[str, str] | None = None, vars_files: list[Path] | None = None
) -> LoadedDocument:
    if text.strip() == "":
        raise fail(name, "file is empty", hint="a topology needs at least `name:` and one namespace")
    templated = any(m in text for m in _TEMPLATE_MARKERS)
    variables = collect_variables(name, text, overrides, vars_files)
    rendered = render_template(name, text, variables) if templated else text
    source = Source(name, text, rendered, templated)
    try:
        data = load_values(rendered)
    except YamlLoadError:
        data = None  # parse again with positions for the exact place of the problem
    try:
        positions = load_yaml(rendered)[1] if data is None else None
    except YamlLoadError as exc:
        hint = exc.hint
        if templated:
            hint = (hint + "; " if hint else "") + "line numbers refer to the rendered file (see `topo render`)"
        raise fail(name, exc.message, exc.line, exc.column, exc.path, hint) from None
    if positions is not None:  # a document that is just `null`: the fast pass said None too
        data = None
    return LoadedDocument(source, data, variables, positions)
