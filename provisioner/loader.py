"""Load layer: read a topology file safely, render it with Jinja2, parse the YAML with positions.

Nothing here knows what a topology means; it returns plain data plus a position map.
Every failure becomes a Diagnostic (file, line, column, YAML path, message, hint).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Mapping

from .diagnostics import Diagnostic, Locator, TopoError, YamlPath
from .yamlpos import Positions, YamlLoadError, load_values, load_yaml

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Files (and rendered templates) larger than this are refused before parsing."""

_TEMPLATE_MARKERS = ("{{", "{%", "{#")
_VARS_START = re.compile(r"^vars:[ \t]*(#.*)?$|^vars:[ \t]*[{\[]")


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


def _fail(name: str, message: str, line: int = 1, col: int = 1, path: YamlPath = (), hint: str | None = None) -> TopoError:
    diag = Diagnostic(name, line, col, path, message, hint)
    return TopoError(diag.render(), [diag])


def read_text(path: Path, name: str | None = None) -> str:
    """Read a UTF-8 text file, refusing huge, binary or unreadable files with a located message."""
    name = name or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(name, f"cannot read file: {exc.strerror or exc}") from None
    if path.is_dir():
        raise _fail(name, "is a directory, not a topology file")
    if size > MAX_FILE_BYTES:
        raise _fail(
            name,
            f"file is {size / 1048576:.1f} MiB, over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed",
            hint="a topology this large is better generated with a Jinja2 loop",
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(name, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked, or a special file
        raise _fail(name, f"file is over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise _fail(name, "binary file (contains a NUL byte); a topology is a UTF-8 text file", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(name, "not valid UTF-8 text; a topology is a UTF-8 text file", line, col) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _vars_block(text: str) -> tuple[str, int] | None:
    """The top-level `vars:` block of a template (text, first line number), read before rendering."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if _VARS_START.match(line):
            block = [line]
            for follow in lines[i + 1 :]:
                if follow.strip() == "" or follow[0] in " \t#":
                    block.append(follow)
                else:
                    break
            return "".join(block), i + 1
    return None


def _parse_var_value(raw: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        return raw


def collect_variables(
    name: str, text: str, overrides: Mapping[str, str] | None, vars_files: list[Path] | None
) -> dict[str, Any]:
    """Template variables: the file's `vars:` block, then --vars-file files, then --var pairs."""
    variables: dict[str, Any] = {}
    block = _vars_block(text)
    if block is not None:
        block_text, first_line = block
        try:
            data, _ = load_yaml(block_text)
        except YamlLoadError as exc:
            raise _fail(name, exc.message, exc.line + first_line - 1, exc.column, ("vars",) + exc.path[1:], exc.hint) from None
        vars_value = data.get("vars") if isinstance(data, dict) else None
        if vars_value is not None and not isinstance(vars_value, dict):
            raise _fail(name, "vars must be a mapping of names to values", first_line, 1, ("vars",))
        variables.update(vars_value or {})
    for vf in vars_files or []:
        vtext = read_text(vf)
        try:
            data, _ = load_yaml(vtext)
        except YamlLoadError as exc:
            raise _fail(str(vf), exc.message, exc.line, exc.column, exc.path, exc.hint) from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise _fail(str(vf), "a vars file must be a mapping of names to values")
        variables.update(data)
    for key, raw in (overrides or {}).items():
        variables[key] = _parse_var_value(raw)
    return variables


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


MAX_POWER_BITS = 1 << 16
"""`a ** b` in a template may make an integer of at most this many bits (more takes minutes)."""


def _bounded_environment() -> type:
    """Jinja2's sandbox, with `**` and `*` bounded: a template can neither compute for minutes
    (`7 ** 7 ** 9`) nor allocate gigabytes (`'x' * 10 ** 10`) before the size limit applies.
    Intercepted operators are not constant-folded at compile time either."""
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"**", "*"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
                if abs(left) > 1 and right * abs(left).bit_length() > MAX_POWER_BITS:
                    raise SecurityError(f"{left} ** {right} is too large for a topology")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_FILE_BYTES:
                        raise SecurityError(f"repeating a value {n} times is over the {MAX_FILE_BYTES // 1048576} MiB limit")
            return super().call_binop(context, operator, left, right)

    return BoundedEnvironment


def render_template(name: str, text: str, variables: Mapping[str, Any]) -> str:
    """Render with Jinja2 (sandboxed, StrictUndefined). Errors point to the template line."""
    import jinja2  # only templated files need it

    env = _bounded_environment()(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    filename = f"<topology {name}>"
    try:
        code = env.compile(text, name=name, filename=filename)
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(name, f"template syntax error: {exc.message}", exc.lineno or 1, hint="see the Jinja2 template syntax") from None
    except Exception as exc:  # noqa: BLE001 - a template is user code: whatever it raises is its error
        raise _fail(name, f"template error: {type(exc).__name__}: {exc}", 1) from None
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                line = _template_line(sys.exc_info()[2], filename) or 1
                raise _fail(name, f"the rendered template is over the {MAX_FILE_BYTES // 1048576} MiB limit", line,
                            hint="check the loop bounds and the variables given with --var")
            out.append(chunk)
    except TopoError:
        raise
    except jinja2.UndefinedError as exc:
        line = _template_line(exc.__traceback__, filename) or 1
        raise _fail(name, f"template error: {exc.message}", line,
                    hint="define it under vars:, or pass --var NAME=VALUE") from None
    except jinja2.TemplateError as exc:
        line = _template_line(exc.__traceback__, filename) or 1
        raise _fail(name, f"template error: {exc.message or exc}", line) from None
    except Exception as exc:  # noqa: BLE001 - a template is user code: whatever it raises is its error
        line = _template_line(exc.__traceback__, filename) or 1
        missing = _undefined_names(env, text, variables)
        if missing:  # e.g. range(n) with n undefined fails with a TypeError: say what is missing
            raise _fail(name, f"template error: {', '.join(repr(m) for m in missing)} "
                        f"{'is' if len(missing) == 1 else 'are'} undefined", line,
                        hint="define it under vars:, or pass --var NAME=VALUE") from None
        raise _fail(name, f"template error: {type(exc).__name__}: {exc}", line) from None
    return "".join(out)


def load(
    path: Path | str,
    overrides: Mapping[str, str] | None = None,
    vars_files: list[Path] | None = None,
    *,
    display_name: str | None = None,
) -> LoadedDocument:
    """Read, render and parse one topology file. Raises TopoError (with diagnostics) on failure."""
    path = Path(path)
    name = display_name or os.fspath(path)
    text = read_text(path, name)
    return load_text(name, text, overrides, vars_files)


def load_text(
    name: str, text: str, overrides: Mapping[str, str] | None = None, vars_files: list[Path] | None = None
) -> LoadedDocument:
    if text.strip() == "":
        raise _fail(name, "file is empty", hint="a topology needs at least `name:` and one namespace")
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
        raise _fail(name, exc.message, exc.line, exc.column, exc.path, hint) from None
    if positions is not None:  # a document that is just `null`: the fast pass said None too
        data = None
    return LoadedDocument(source, data, variables, positions)
