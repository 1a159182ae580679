"""Load layer: read a topology file safely, render it with Jinja2, parse the YAML with positions.

Nothing here knows what a topology means; it returns plain data plus a position map.
Every failure becomes a Diagnostic (file, line, column, YAML path, message, hint).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import os
import re
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Iterator, Mapping

from .diagnostics import Diagnostic, Locator, TopoError, YamlPath
from .names import printable
from .yamlpos import Positions, YamlLoadError, load_values, load_yaml, plain_scalar_problem

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


_SPECIAL_FILES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _special_file(mode: int) -> str | None:
    """What a file that is not a regular file is (a FIFO or a device could block a read forever)."""
    return next((what for test, what in _SPECIAL_FILES if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def read_text(path: Path, name: str | None = None) -> str:
    """Read a UTF-8 text file, refusing huge, binary, special (FIFO, device, socket, directory)
    or unreadable files with a located message. A special file is refused before it is opened
    where it can be; it is opened non-blocking and checked again on the open descriptor."""
    name = name or str(path)
    try:
        kind = _special_file(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                kind = _special_file(st.st_mode)
                if kind is None:
                    if st.st_size > MAX_FILE_BYTES:
                        raise _fail(
                            name,
                            f"file is {st.st_size / 1048576:.1f} MiB, over the {MAX_FILE_BYTES // 1048576} MiB limit; not parsed",
                            hint="a topology this large is better generated with a Jinja2 loop",
                        )
                    raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(name, f"cannot read file: {exc.strerror or exc}") from None
    if kind is not None:
        raise _fail(name, f"is {kind}, not a topology file",
                    hint="give the path of a regular file (write generated text to a file first)")
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked
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


def _parse_var_value(name: str, key: str, raw: str) -> Any:
    """A --var value as YAML data (a number, a list...), read like a topology file's values; a
    value that is not valid YAML is the text itself. It is data: printed into the template, it
    must be plain text or go through `| tojson` (see BoundedEnvironment.yaml_text)."""
    if not raw.strip():
        return ""
    trap = plain_scalar_problem(raw.strip())
    if trap is not None:
        raise _fail(name, f"--var {key}: {trap[0]}", hint=trap[1])
    try:
        return load_values(raw)
    except YamlLoadError:
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
        variables[key] = _parse_var_value(name, key, raw)
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
MAX_ITEMS = 1_000_000
"""One list (or dict, set) a template builds may have at most this many items."""
MAX_RENDER_SECONDS = 5.0
"""Rendering a template may take at most this long (wall clock; a 10,000-pod lab takes a fraction)."""
MAX_RENDER_BYTES = 256 * 1048576
"""All the text and list slots one rendering builds, added up (garbage included), stay under this."""

_MIB = 1048576
_LIMIT_HINT = "check the loop bounds and the variables given with --var"
_JSON_HINT = "pipe it through `| tojson` to insert it as a quoted string: {{ %s | tojson }} (no quotes around it)"
_JSON_VALUE_HINT = "pipe it through `| tojson` to insert it as YAML flow data: {{ %s | tojson }}"
_NUMBER = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")
_NOT_PLAIN = re.compile(r"""[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"'\\{}\[\],]""")
"""Characters that change YAML's structure wherever they are: line breaks and other control
characters, quotes and backslash (they end or escape a quoted scalar), flow indicators."""
_NOT_PLAIN_SHORT = re.compile(r"""[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"'\\{}\[\],]|: |:$| \#|\s$"""
                              r"""|^(?:[\s&*!|>%@`<#]|[-?:](?:\s|$)|---|\.\.\.)""")
"""All of _plain_problem in one pattern: one call for the short texts a template prints."""
_NOT_PLAIN_START = re.compile(r"""[&*!|>%@`<#]|[-?:](?:\s|$)|---|\.\.\.""")
"""What YAML reads as an indicator at the start of a scalar."""


class TemplateLimit(Exception):
    """A template went over a rendering limit, or printed a value that is not plain YAML text."""

    def __init__(self, message: str, hint: str = _LIMIT_HINT):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class _Budget:
    """One rendering's limits: a deadline, checked at every loop iteration, call, filter and
    output, and the bytes of text and list slots it may still build (which bounds the time spent
    building them: straight-line template code is bounded by the file's size)."""

    deadline: float
    left: int = MAX_RENDER_BYTES

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"rendering took over {MAX_RENDER_SECONDS:g} s (limit)",
                                _LIMIT_HINT + "; a topology renders in well under a second")

    def charge(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise TemplateLimit(f"rendering built over {MAX_RENDER_BYTES // _MIB} MiB of text and lists (limit)")


def _check_size(what: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise TemplateLimit(f"{what} would make {size / _MIB:.1f} MiB of text, over the {MAX_FILE_BYTES // _MIB} MiB limit")


def _check_items(what: str, count: int) -> None:
    if count > MAX_ITEMS:
        raise TemplateLimit(f"{what} would make {count:,} items, over the {MAX_ITEMS:,}-item limit")


def _footprint(value: Any) -> int:
    """Bytes a new value takes, roughly: its characters, or 8 per item (the items are shared)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return 8 * len(value)
    return 0


def _text_size(value: Any, budget: int = MAX_FILE_BYTES) -> int:
    """How long `value` is as text (str() or JSON), at least; counting stops once over `budget`
    (every item counts 2 or more, so a shared or cyclic structure stops too, quickly)."""
    total = 0
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack and total <= budget:
        for item in stack[-1]:
            if isinstance(item, (str, bytes)):
                total += len(item) + 2
            elif isinstance(item, dict):
                total += 2
                stack.append(itertools.chain.from_iterable(item.items()))
                break
            elif isinstance(item, (list, tuple, set, frozenset)):
                total += 2
                stack.append(iter(item))
                break
            elif isinstance(item, int):
                total += item.bit_length() // 3 + 2
            else:
                total += 8
            if total > budget:
                break
        else:
            stack.pop()
    return total


def _small_text(value: Any) -> str:
    """str(value), once it is known not to be huge (a list of shared long texts could be)."""
    if not isinstance(value, (int, float)):
        _check_size("joining with ~", _text_size(value))
    return str(value)


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _width(value: Any) -> int:
    return len(value) if isinstance(value, str) else value if isinstance(value, int) else 0


def _format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """At most how long `fmt % args` or `fmt.format(*args, **kwargs)` is: the format, the
    arguments' text, every width written in it and, where a width comes from the arguments
    (`%*d`, `{:{}}`), the largest integer argument."""
    values = list(args) + list(kwargs.values())
    size = len(fmt) + _text_size(values)
    size += sum(int(n) if len(n) < 12 else MAX_FILE_BYTES + 1 for n in _NUMBER.findall(fmt) if len(n) > 3)
    if "*" in fmt or _NESTED_FIELD.search(fmt):
        size += max((abs(v) for v in values if type(v) is int), default=0)
    return size


def _replace_size(text: str, old: Any, new: Any, count: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _items(value: Any) -> list[Any] | str:
    """An iterable as a list, refused when over the item limit (a text stays a text)."""
    if isinstance(value, (str, list)):
        return value
    items = list(itertools.islice(iter(value), MAX_ITEMS + 1))
    _check_items("the sequence", len(items))
    return items


def _join_size(sep: str, items: list[Any] | str) -> int:
    return _text_size(items) + len(sep) * len(items)


def _text_method_size(text: str | bytes, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """How long the result of a text method that can grow a text is (0: it cannot)."""
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(len(text), _width(_arg(args, kwargs, 0, "width", 0)))
    if name == "expandtabs":
        return len(text) * max(_width(_arg(args, kwargs, 0, "tabsize", 8)), 1)
    if name == "replace" and isinstance(text, str):
        return _replace_size(text, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""),
                             _arg(args, kwargs, 2, "count", -1))
    if name == "format" and isinstance(text, str):
        return _format_size(text, args, kwargs)
    if name == "format_map" and isinstance(text, str) and args and isinstance(args[0], Mapping):
        return _format_size(text, (), args[0])
    if name == "translate" and args and isinstance(args[0], Mapping):
        return len(text) * max([_text_size(v) for v in args[0].values()] or [1])
    return 0


def _filter_checks(env: Any) -> dict[str, Callable[..., tuple[Any, ...]]]:
    """Per filter that can build much more than it is given: check the size of its result before
    it is built; returns the arguments to call it with (an iterator made a list, counted)."""
    from jinja2.filters import make_attrgetter

    def center(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        _check_size("| center", max(_text_size(value), _width(_arg(rest, kw, 0, "width", 80))))
        return (value, *rest)

    def indent(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        _check_size("| indent", _text_size(value) + lines * _width(_arg(rest, kw, 0, "width", 4)))
        return (value, *rest)

    def replace(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        if isinstance(value, str):
            _check_size("| replace", _replace_size(value, _arg(rest, kw, 0, "old", ""), _arg(rest, kw, 1, "new", ""),
                                                   _arg(rest, kw, 2, "count", None)))
        return (value, *rest)

    def format_(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        if isinstance(value, str):
            _check_size("| format", _format_size(value, rest, kw))
        return (value, *rest)

    def join(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = _items(value)
        attribute = rest[1] if len(rest) > 1 else kw.pop("attribute", None)
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        sep = _arg(rest, kw, 0, "d", "")
        _check_size("| join", _join_size(sep if isinstance(sep, str) else "", items))
        return (items, *rest[:1])

    def count(what: str, index: int, name: str, limit: int) -> Callable[..., tuple[Any, ...]]:
        def check(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
            n = _arg(rest, kw, index, name, 0)
            if isinstance(n, int) and n > limit:
                raise TemplateLimit(f"{what}({n:,}) is over the {limit:,} limit")
            return (value, *rest)
        return check

    def listed(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = _items(value)
        _check_items("| list", len(items))
        return (items, *rest)

    def total(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = _items(value)
        if not isinstance(_arg(rest, kw, 1, "start", 0), (int, float)):
            _check_size("| sum", _text_size(items) + _text_size(_arg(rest, kw, 1, "start", 0)))
        return (items, *rest)

    def as_text(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        _check_size("printing a value", _text_size(value))
        return (value, *rest)

    return {"center": center, "indent": indent, "replace": replace, "format": format_, "join": join,
            "batch": count("| batch", 0, "linecount", MAX_ITEMS), "slice": count("| slice", 0, "slices", MAX_ITEMS),
            "list": listed, "sum": total, "string": as_text, "pprint": as_text}


class _Json(str):
    """Text made by `| tojson`: JSON, which is YAML flow syntax, so it goes into the YAML text as it is."""


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff]")


def _tojson(value: Any, indent: int | None = None) -> _Json:
    """A value as JSON (YAML's flow syntax): strings double-quoted with escapes, so that it is one
    YAML value whatever it holds; characters YAML reads as line breaks are escaped too."""
    _check_size("| tojson", _text_size(value))
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=indent)
    return _Json(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _plain_problem(text: str) -> str | None:
    """Why a printed text could change the YAML document's structure, if it can."""
    if len(text) < 4096 and _NOT_PLAIN_SHORT.search(text) is None:
        return None
    m = _NOT_PLAIN.search(text)  # one character class, then substring tests: fast on long texts
    if m is not None:
        char = m.group()
        what = ("a quote or backslash" if char in "\"'\\" else "a YAML flow character ({}[],)" if char in "{}[]," else
                "a line break or control character")
        return f"it has {what}"
    if ": " in text or text.endswith(":"):
        return "it has ': ' (YAML's key separator)"
    if " #" in text:
        return "it has ' #' (a YAML comment)"
    if text[:1].isspace() or text[-1:].isspace():
        return "it starts or ends with whitespace"
    m = _NOT_PLAIN_START.match(text)
    if m is not None:
        return f"it starts with {m.group()!r}, a YAML indicator"
    return None


def _describe(node: Any) -> str:
    """A short source-like name for a printed expression, for messages."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_describe(node.node)}[{node.arg.value!r}]"
    if isinstance(node, nodes.Filter) and node.node is not None:
        return f"{_describe(node.node)} | {node.name}"
    return "..."


def _code_generator() -> type:
    """Jinja2's code generator with three changes: `~` goes through environment.bounded_concat,
    every `for` loop's iterable through environment.bounded_iter, and every printed expression
    through environment.yaml_text (named, for the message). Constants the template writes are
    its author's text: they are printed as they are."""
    from jinja2 import nodes
    from jinja2.compiler import CodeGenerator, optimizeconst

    class BoundedCodeGenerator(CodeGenerator):
        @optimizeconst
        def visit_Concat(self, node: Any, frame: Any) -> None:
            self.write("environment.bounded_concat((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

        def visit_For(self, node: Any, frame: Any) -> None:
            node = copy.copy(node)
            node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None,
                                   lineno=node.iter.lineno)
            super().visit_For(node, frame)

        def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
            self.write(f"str(environment.yaml_text({_describe(node)!r}, ")

        def _output_child_post(self, node: Any, frame: Any, finalize: Any) -> None:
            self.write("))")

    return BoundedCodeGenerator


def _bounded_environment() -> type:
    """Jinja2's sandbox, bounded: no single operation builds more than MAX_FILE_BYTES of text or
    MAX_ITEMS items (`**`, `*`, `+`, `%`, `~`, the text methods, the filters that grow a value),
    one rendering builds at most MAX_RENDER_BYTES in all and stops after MAX_RENDER_SECONDS (a
    deadline checked at every loop iteration, call, filter and output chunk: no signal or timer,
    so it works on any thread), and every printed value is data, never YAML syntax.
    Intercepted operators are not constant-folded at compile time either."""
    from jinja2 import Undefined
    from jinja2.sandbox import SandboxedEnvironment, SecurityError
    from jinja2.utils import generate_lorem_ipsum

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"**", "*", "+", "%"})
        code_generator_class = _code_generator()

        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.budget = _Budget(time.monotonic() + MAX_RENDER_SECONDS)
            checks = _filter_checks(self)
            self.filters = {name: self._bounded_filter(f, checks.get(name)) for name, f in self.filters.items()}
            self.filters["tojson"] = self._bounded_filter(_tojson, None)
            self.globals["lipsum"] = self._lipsum
            self.concat = self._concat  # the text of a block, macro, call or filter body

        def _bounded_filter(self, f: Callable[..., Any], check: Callable[..., tuple[Any, ...]] | None) -> Callable[..., Any]:
            skip = 1 if getattr(f, "jinja_pass_arg", None) is not None else 0
            budget = self.budget

            @functools.wraps(f)
            def bounded(*args: Any, **kwargs: Any) -> Any:
                budget.tick()
                if check is not None and len(args) > skip:
                    args = (*args[:skip], *check(*args[skip:], **kwargs))
                result = f(*args, **kwargs)
                budget.charge(_footprint(result))
                return result

            return bounded

        def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002
            if isinstance(n, int) and isinstance(max, int):
                _check_size("lipsum()", n * max * 12)
            return generate_lorem_ipsum(n, html, min, max)  # type: ignore[no-any-return]

        def _concat(self, parts: Any) -> str:
            parts = parts if isinstance(parts, list) else list(parts)
            size = sum(map(len, parts))
            _check_size("a block's text", size)
            self.budget.charge(size)
            return "".join(parts)

        def bounded_concat(self, values: tuple[Any, ...]) -> str:
            parts = [v if v.__class__ is str else _small_text(v) for v in values]
            size = sum(map(len, parts))
            _check_size("joining with ~", size)
            self.budget.charge(size)
            return "".join(parts)

        def bounded_iter(self, iterable: Any) -> Iterator[Any]:
            tick = self.budget.tick
            for item in iterable:
                tick()
                yield item

        def yaml_text(self, what: str, value: Any) -> Any:
            """A printed value, checked: numbers and plain texts as they are, `| tojson` output as it
            is; a text that could change the YAML structure, a list or a mapping is refused."""
            if value.__class__ in (int, float, bool, _Json) or value is None or isinstance(value, Undefined):
                return value
            if isinstance(value, (list, tuple, dict, set, frozenset)):
                kind = "a mapping" if isinstance(value, dict) else "a list"
                raise TemplateLimit(f"{{{{ {what} }}}} is {kind}; printed as it is it would be Python text, not YAML data",
                                    _JSON_VALUE_HINT % what)
            text = value if isinstance(value, str) else str(value)
            problem = _plain_problem(text)
            if problem is not None:
                raise TemplateLimit(f"{{{{ {what} }}}} gives {printable(text)}, which could change the YAML structure: "
                                    f"{problem}; a variable is data, never YAML text", _JSON_HINT % what)
            return text

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            __self.budget.tick()
            method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
            owner = getattr(method, "__self__", None)
            name = getattr(method, "__name__", "")
            before = 0
            if isinstance(owner, (str, bytes)):
                if name == "join" and args:
                    items = _items(args[0])
                    _check_size("join()", _join_size(owner if isinstance(owner, str) else "", items))
                    args = (items, *args[1:])
                else:
                    _check_size(f"{name}()", _text_method_size(owner, name, args, kwargs))
            elif isinstance(owner, (list, dict, set)):
                before = len(owner)
            result = super().call(__context, __obj, *args, **kwargs)
            if isinstance(owner, (list, dict, set)):
                _check_items(f"{name}()", len(owner))
                __self.budget.charge(8 * (len(owner) - before))
            __self.budget.charge(8 + _footprint(result))
            return result

        def getitem(self, obj: Any, argument: Any) -> Any:
            result = super().getitem(obj, argument)
            if isinstance(argument, slice):
                self.budget.charge(_footprint(result))
            return result

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if left.__class__ is int and right.__class__ is int and operator != "**":  # the common case: i + 1
                return self.binop_table[operator](left, right)
            if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
                if abs(left) > 1 and right * abs(left).bit_length() > MAX_POWER_BITS:
                    raise SecurityError(f"{left} ** {right} is too large for a topology")
            elif operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, bytes)) and isinstance(n, int) and len(seq) * n > MAX_FILE_BYTES:
                        raise SecurityError(f"repeating a value {n} times is over the {MAX_FILE_BYTES // _MIB} MiB limit")
                    if isinstance(seq, (list, tuple)) and isinstance(n, int):
                        _check_items(f"repeating a list {n:,} times", len(seq) * n)
            elif operator == "+" and isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
                _check_size("adding texts", len(left) + len(right))
            elif operator == "+" and isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                _check_items("adding lists", len(left) + len(right))
            elif operator == "%" and isinstance(left, str):
                _check_size("formatting with %", _format_size(left, right if isinstance(right, tuple) else (right,), {}))
            result = super().call_binop(context, operator, left, right)
            self.budget.charge(_footprint(result))
            return result

    return BoundedEnvironment


def render_template(name: str, text: str, variables: Mapping[str, Any]) -> str:
    """Render with Jinja2 (sandboxed and bounded, StrictUndefined). Errors point to the template line."""
    import jinja2  # only templated files need it

    env = _bounded_environment()(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    filename = f"<topology {name}>"
    try:
        code = env.compile(text, name=name, filename=filename)
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except jinja2.TemplateSyntaxError as exc:
        raise _fail(name, f"template syntax error: {exc.message}", exc.lineno or 1, hint="see the Jinja2 template syntax") from None
    except TemplateLimit as exc:
        raise _fail(name, f"template error: {exc.message}", 1, hint=exc.hint) from None
    except Exception as exc:  # noqa: BLE001 - a template is user code: whatever it raises is its error
        raise _fail(name, f"template error: {type(exc).__name__}: {exc}", 1) from None
    env.budget.deadline = time.monotonic() + MAX_RENDER_SECONDS  # compiling is bounded by the file's size
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                line = _template_line(sys.exc_info()[2], filename) or 1
                raise _fail(name, f"the rendered template is over the {MAX_FILE_BYTES // _MIB} MiB limit", line,
                            hint=_LIMIT_HINT)
            out.append(chunk)
            if not len(out) & 255:  # a chunk is quick to make: look at the clock every 256
                env.budget.tick()
    except TopoError:
        raise
    except TemplateLimit as exc:
        raise _fail(name, f"template error: {exc.message}", _template_line(exc.__traceback__, filename) or 1,
                    hint=exc.hint) from None
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
