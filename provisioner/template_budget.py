"""Size accounting for a template rendering: the limits, the budget one rendering spends, and how
large the result of an operation, text method or filter would be before it is built.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from .sourcefile import MAX_FILE_BYTES

MAX_POWER_BITS = 1 << 16
"""`a ** b` in a template may make an integer of at most this many bits (more takes minutes)."""
MAX_ITEMS = 1_000_000
"""One list (or dict, set) a template builds may have at most this many items."""
MAX_RENDER_SECONDS = 5.0
"""Rendering a template may take at most this long (wall clock; a 10,000-pod lab takes a fraction)."""
MAX_RENDER_BYTES = 256 * 1048576
"""All the text and list slots one rendering builds, added up (garbage included), stay under this."""

MIB = 1048576
LIMIT_HINT = "check the loop bounds and the variables given with --var"
_NUMBER = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")


class TemplateLimit(Exception):
    """A template went over a rendering limit, or printed a value that is not plain YAML text."""

    def __init__(self, message: str, hint: str = LIMIT_HINT):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Budget:
    """One rendering's limits: a deadline, checked at every loop iteration, call, filter and
    output, and the bytes of text and list slots it may still build (which bounds the time spent
    building them: straight-line template code is bounded by the file's size)."""

    deadline: float
    left: int = MAX_RENDER_BYTES

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"rendering took over {MAX_RENDER_SECONDS:g} s (limit)",
                                LIMIT_HINT + "; a topology renders in well under a second")

    def charge(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise TemplateLimit(f"rendering built over {MAX_RENDER_BYTES // MIB} MiB of text and lists (limit)")


def check_size(what: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise TemplateLimit(f"{what} would make {size / MIB:.1f} MiB of text, over the {MAX_FILE_BYTES // MIB} MiB limit")


def check_items(what: str, count: int) -> None:
    if count > MAX_ITEMS:
        raise TemplateLimit(f"{what} would make {count:,} items, over the {MAX_ITEMS:,}-item limit")


def footprint(value: Any) -> int:
    """Bytes a new value takes, roughly: its characters, or 8 per item (the items are shared)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return 8 * len(value)
    return 0


def text_size(value: Any, budget: int = MAX_FILE_BYTES) -> int:
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


def small_text(value: Any) -> str:
    """str(value), once it is known not to be huge (a list of shared long texts could be)."""
    if not isinstance(value, (int, float)):
        check_size("joining with ~", text_size(value))
    return str(value)


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _width(value: Any) -> int:
    return len(value) if isinstance(value, str) else value if isinstance(value, int) else 0


def format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """At most how long `fmt % args` or `fmt.format(*args, **kwargs)` is: the format, the
    arguments' text, every width written in it and, where a width comes from the arguments
    (`%*d`, `{:{}}`), the largest integer argument."""
    values = list(args) + list(kwargs.values())
    size = len(fmt) + text_size(values)
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


def as_items(value: Any) -> list[Any] | str:
    """An iterable as a list, refused when over the item limit (a text stays a text)."""
    if isinstance(value, (str, list)):
        return value
    items = list(itertools.islice(iter(value), MAX_ITEMS + 1))
    check_items("the sequence", len(items))
    return items


def join_size(sep: str, items: list[Any] | str) -> int:
    return text_size(items) + len(sep) * len(items)


def text_method_size(text: str | bytes, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """How long the result of a text method that can grow a text is (0: it cannot)."""
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(len(text), _width(_arg(args, kwargs, 0, "width", 0)))
    if name == "expandtabs":
        return len(text) * max(_width(_arg(args, kwargs, 0, "tabsize", 8)), 1)
    if name == "replace" and isinstance(text, str):
        return _replace_size(text, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""),
                             _arg(args, kwargs, 2, "count", -1))
    if name == "format" and isinstance(text, str):
        return format_size(text, args, kwargs)
    if name == "format_map" and isinstance(text, str) and args and isinstance(args[0], Mapping):
        return format_size(text, (), args[0])
    if name == "translate" and args and isinstance(args[0], Mapping):
        return len(text) * max([text_size(v) for v in args[0].values()] or [1])
    return 0


def filter_checks(env: Any) -> dict[str, Callable[..., tuple[Any, ...]]]:
    """Per filter that can build much more than it is given: check the size of its result before
    it is built; returns the arguments to call it with (an iterator made a list, counted)."""
    from jinja2.filters import make_attrgetter

    def center(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        check_size("| center", max(text_size(value), _width(_arg(rest, kw, 0, "width", 80))))
        return (value, *rest)

    def indent(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        check_size("| indent", text_size(value) + lines * _width(_arg(rest, kw, 0, "width", 4)))
        return (value, *rest)

    def replace(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        if isinstance(value, str):
            check_size("| replace", _replace_size(value, _arg(rest, kw, 0, "old", ""), _arg(rest, kw, 1, "new", ""),
                                                   _arg(rest, kw, 2, "count", None)))
        return (value, *rest)

    def format_(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        if isinstance(value, str):
            check_size("| format", format_size(value, rest, kw))
        return (value, *rest)

    def join(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = as_items(value)
        attribute = rest[1] if len(rest) > 1 else kw.pop("attribute", None)
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        sep = _arg(rest, kw, 0, "d", "")
        check_size("| join", join_size(sep if isinstance(sep, str) else "", items))
        return (items, *rest[:1])

    def count(what: str, index: int, name: str, limit: int) -> Callable[..., tuple[Any, ...]]:
        def check(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
            n = _arg(rest, kw, index, name, 0)
            if isinstance(n, int) and n > limit:
                raise TemplateLimit(f"{what}({n:,}) is over the {limit:,} limit")
            return (value, *rest)
        return check

    def listed(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = as_items(value)
        check_items("| list", len(items))
        return (items, *rest)

    def total(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        items = as_items(value)
        if not isinstance(_arg(rest, kw, 1, "start", 0), (int, float)):
            check_size("| sum", text_size(items) + text_size(_arg(rest, kw, 1, "start", 0)))
        return (items, *rest)

    def as_text(value: Any, *rest: Any, **kw: Any) -> tuple[Any, ...]:
        check_size("printing a value", text_size(value))
        return (value, *rest)

    return {"center": center, "indent": indent, "replace": replace, "format": format_, "join": join,
            "batch": count("| batch", 0, "linecount", MAX_ITEMS), "slice": count("| slice", 0, "slices", MAX_ITEMS),
            "list": listed, "sum": total, "string": as_text, "pprint": as_text}


