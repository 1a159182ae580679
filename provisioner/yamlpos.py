"""YAML to plain Python data, remembering where every value stands.

Built on libyaml's event stream (no recursion, so deeply nested input cannot overflow
the stack), it records the 1-based line and column of every value and mapping key by
YAML path, refuses duplicate keys, and bounds nesting depth and alias expansion (so a
"billion laughs" file is refused instead of eating the machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import YamlPath

try:  # libyaml is much faster; fall back to the pure-Python parser where it is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader  # type: ignore[misc]

MAX_DEPTH = 64
_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary")
)
MAX_EXPANDED_NODES = 2_000_000


class YamlLoadError(Exception):
    def __init__(self, message: str, line: int, column: int, path: YamlPath = (), hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        self.hint = hint


@dataclass
class Positions:
    values: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Frame:
    kind: str  # "map" or "seq"
    path: YamlPath
    value: Any
    size: int = 1  # expanded node count, for the alias bound
    pending_key: Any = None
    key_pos: tuple[int, int] | None = None
    have_key: bool = False
    key_is_merge: bool = False
    anchor: str | None = None
    start: tuple[int, int] = (1, 1)
    merge: list[dict[Any, Any]] = field(default_factory=list)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def load_yaml(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document. Raises YamlLoadError with the position of the first problem."""
    loader = _Loader(text)
    constructor = yaml.SafeLoader("")  # only used to turn resolved scalars into Python values
    positions = Positions()
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    root: Any = None
    have_root = False
    documents = 0
    total = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            merge_key = False
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlLoadError(
                        "more than one YAML document in the file",
                        *_pos(event.start_mark),
                        hint="a topology is one document; remove the '---' separator",
                    )
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = stack.pop()
                if frame.merge:
                    for extra in frame.merge:
                        for k, v in extra.items():
                            frame.value.setdefault(k, v)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (frame.value, frame.size)
                value, size = frame.value, frame.size
                start = frame.start
            else:
                start = _pos(event.start_mark)
                if isinstance(event, yaml.AliasEvent):
                    if event.anchor not in anchors:
                        raise YamlLoadError(f"unknown alias *{event.anchor}", *start, _current_path(stack),
                                            "define the anchor (&name) before using it")
                    value, size = anchors[event.anchor]
                    total += size
                    if total > MAX_EXPANDED_NODES:
                        raise YamlLoadError(
                            f"aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                            *start,
                            _current_path(stack),
                            hint="the file looks like an alias bomb ('billion laughs'); write the values out",
                        )
                elif isinstance(event, yaml.ScalarEvent):
                    tag = event.tag
                    if tag is not None and tag != "!" and tag not in _SAFE_TAGS:
                        raise YamlLoadError(f"unsupported YAML tag {tag.replace('tag:yaml.org,2002:', '!!')}", *start,
                                            _current_path(stack), "remove the tag; a topology uses plain values")
                    if tag is None or tag == "!":
                        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                    merge_key = tag == "tag:yaml.org,2002:merge"
                    if merge_key:
                        tag = "tag:yaml.org,2002:str"
                    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                    try:
                        value = constructor.construct_object(node)
                    except yaml.YAMLError as exc:
                        raise YamlLoadError(
                            f"cannot read value {event.value!r}: {_problem(exc)}", *start, _current_path(stack)
                        ) from None
                    size = 1
                    total += 1
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1)
                else:  # collection start
                    if len(stack) >= MAX_DEPTH:
                        raise YamlLoadError(
                            f"nesting deeper than {MAX_DEPTH} levels",
                            *start,
                            _current_path(stack)[:4] + ("...",),
                            hint="a topology is at most a few levels deep; check the indentation",
                        )
                    if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                        raise YamlLoadError(f"unsupported YAML tag {event.tag.replace('tag:yaml.org,2002:', '!!')}", *start,
                                            _current_path(stack), "remove the tag; a topology uses plain values")
                    path = _child_path(stack)
                    kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
                    stack.append(_Frame(kind, path, {} if kind == "map" else [], anchor=event.anchor, start=start))
                    total += 1
                    continue
            # attach value (scalar, alias or finished collection) to its parent
            if not stack:
                root, have_root = value, True
                positions.values[()] = start
                continue
            parent = stack[-1]
            parent.size += size
            if parent.kind == "seq":
                index = len(parent.value)
                positions.values[parent.path + (index,)] = start
                parent.value.append(value)
            elif not parent.have_key:
                if isinstance(value, (dict, list)):
                    raise YamlLoadError("a mapping key must be a plain value", *start, parent.path)
                parent.pending_key, parent.key_pos, parent.have_key = value, start, True
                parent.key_is_merge = merge_key
            else:
                key = parent.pending_key
                parent.have_key = False
                if parent.key_is_merge:
                    extras = value if isinstance(value, list) else [value]
                    if not all(isinstance(x, dict) for x in extras):
                        raise YamlLoadError("'<<' merges mappings only", *(start or (1, 1)), parent.path)
                    parent.merge.extend(extras)
                    continue
                if key in parent.value:
                    line, col = parent.key_pos or (0, 0)
                    raise YamlLoadError(
                        f"duplicate key {key!r}",
                        line,
                        col,
                        parent.path + (key,),
                        hint="each key may appear once in a mapping; merge the two entries",
                    )
                path = parent.path + (_key_str(key),)
                if parent.key_pos is not None:
                    positions.keys[path] = parent.key_pos
                positions.values[path] = start
                parent.value[key] = value
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {_problem(exc)}"
        hint = None
        at_end = exc.problem_mark is not None and exc.problem_mark.index >= len(text.rstrip())
        if at_end and exc.context_mark is not None:
            # an unclosed quote or bracket: point at where it was opened, not at the end of the file
            mark = exc.context_mark
            hint = "it is not closed before the end of the file"
        line, col = _pos(mark) if mark is not None else (1, 1)
        raise YamlLoadError(message, line, col, _current_path(stack), hint) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"YAML error: {_problem(exc)}", 1, 1) from None
    if not have_root:
        root = None
    return root, positions


def _child_path(stack: list[_Frame]) -> YamlPath:
    if not stack:
        return ()
    parent = stack[-1]
    if parent.kind == "seq":
        return parent.path + (len(parent.value),)
    if parent.have_key:
        return parent.path + (_key_str(parent.pending_key),)
    return parent.path


def _current_path(stack: list[_Frame]) -> YamlPath:
    return _child_path(stack)


def _key_str(key: Any) -> str | int:
    return key if isinstance(key, str) else str(key)


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        return ", ".join(parts) or str(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
