"""The bounded Jinja2 environment: the sandbox, with every operation that can build much text or
many items checked against the limits of template_budget, and every printed value plain YAML data.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import time
from typing import Any, Callable, Iterator

from .names import printable
from .template_budget import (
    MAX_FILE_BYTES, MAX_ITEMS, MAX_POWER_BITS, MAX_RENDER_SECONDS, MIB, Budget, TemplateLimit, as_items, check_items,
    check_size, filter_checks, footprint, format_size, join_size, small_text, text_method_size, text_size,
)

_JSON_HINT = "pipe it through `| tojson` to insert it as a quoted string: {{ %s | tojson }} (no quotes around it)"
_JSON_VALUE_HINT = "pipe it through `| tojson` to insert it as YAML flow data: {{ %s | tojson }}"
_NOT_PLAIN = re.compile(r"""[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"'\\{}\[\],]""")
"""Characters that change YAML's structure wherever they are: line breaks and other control
characters, quotes and backslash (they end or escape a quoted scalar), flow indicators."""
_NOT_PLAIN_SHORT = re.compile(r"""[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"'\\{}\[\],]|: |:$| \#|\s$"""
                              r"""|^(?:[\s&*!|>%@`<#]|[-?:](?:\s|$)|---|\.\.\.)""")
"""All of _plain_problem in one pattern: one call for the short texts a template prints."""
_NOT_PLAIN_START = re.compile(r"""[&*!|>%@`<#]|[-?:](?:\s|$)|---|\.\.\.""")
"""What YAML reads as an indicator at the start of a scalar."""


class _Json(str):
    """Text made by `| tojson`: JSON, which is YAML flow syntax, so it goes into the YAML text as it is."""


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff]")


def _tojson(value: Any, indent: int | None = None) -> _Json:
    """A value as JSON (YAML's flow syntax): strings double-quoted with escapes, so that it is one
    YAML value whatever it holds; characters YAML reads as line breaks are escaped too."""
    check_size("| tojson", text_size(value))
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


def bounded_environment() -> type:
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
            self.budget = Budget(time.monotonic() + MAX_RENDER_SECONDS)
            checks = filter_checks(self)
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
                budget.charge(footprint(result))
                return result

            return bounded

        def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002
            if isinstance(n, int) and isinstance(max, int):
                check_size("lipsum()", n * max * 12)
            return generate_lorem_ipsum(n, html, min, max)  # type: ignore[no-any-return]

        def _concat(self, parts: Any) -> str:
            parts = parts if isinstance(parts, list) else list(parts)
            size = sum(map(len, parts))
            check_size("a block's text", size)
            self.budget.charge(size)
            return "".join(parts)

        def bounded_concat(self, values: tuple[Any, ...]) -> str:
            parts = [v if v.__class__ is str else small_text(v) for v in values]
            size = sum(map(len, parts))
            check_size("joining with ~", size)
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
                    items = as_items(args[0])
                    check_size("join()", join_size(owner if isinstance(owner, str) else "", items))
                    args = (items, *args[1:])
                else:
                    check_size(f"{name}()", text_method_size(owner, name, args, kwargs))
            elif isinstance(owner, (list, dict, set)):
                before = len(owner)
            result = super().call(__context, __obj, *args, **kwargs)
            if isinstance(owner, (list, dict, set)):
                check_items(f"{name}()", len(owner))
                __self.budget.charge(8 * (len(owner) - before))
            __self.budget.charge(8 + footprint(result))
            return result

        def getitem(self, obj: Any, argument: Any) -> Any:
            result = super().getitem(obj, argument)
            if isinstance(argument, slice):
                self.budget.charge(footprint(result))
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
                        raise SecurityError(f"repeating a value {n} times is over the {MAX_FILE_BYTES // MIB} MiB limit")
                    if isinstance(seq, (list, tuple)) and isinstance(n, int):
                        check_items(f"repeating a list {n:,} times", len(seq) * n)
            elif operator == "+" and isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
                check_size("adding texts", len(left) + len(right))
            elif operator == "+" and isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
                check_items("adding lists", len(left) + len(right))
            elif operator == "%" and isinstance(left, str):
                check_size("formatting with %", format_size(left, right if isinstance(right, tuple) else (right,), {}))
            result = super().call_binop(context, operator, left, right)
            self.budget.charge(footprint(result))
            return result

    return BoundedEnvironment

