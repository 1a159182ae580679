"""YAML to plain Python data, remembering where every value stands.

Built on libyaml's event stream (no recursion, so deeply nested input cannot overflow
the stack), it records the 1-based line and column of every value and mapping key by
YAML path, refuses duplicate keys, and bounds nesting depth and alias expansion (so a
"billion laughs" file is refused instead of eating the machine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import YamlPath

try:  # libyaml is much faster; fall back to the pure-Python parser where it is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader  # type: ignore[misc]

MAX_DEPTH = 64
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_YAML11 = "!topo/yaml-1.1-trap"
"""The tag noted for a plain scalar YAML 1.1 reads differently from what it looks like (see _yaml11_trap)."""
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_YAML11_BOOL_OK = frozenset(("true", "True", "TRUE", "false", "False", "FALSE"))
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
    """libyaml marks by YAML path (of each value, and of each mapping key)."""

    values: dict[YamlPath, Any] = field(default_factory=dict)
    keys: dict[YamlPath, Any] = field(default_factory=dict)

    def value_at(self, path: YamlPath) -> tuple[int, int] | None:
        mark = self.values.get(path)
        return _pos(mark) if mark is not None else None

    def key_at(self, path: YamlPath) -> tuple[int, int] | None:
        mark = self.keys.get(path)
        return _pos(mark) if mark is not None else None


@dataclass
class _Frame:
    kind: str  # "map" or "seq"
    path: YamlPath
    value: Any
    size: int = 1  # expanded node count, for the alias bound
    pending_key: Any = None
    key_pos: Any = None  # libyaml mark
    have_key: bool = False
    key_is_merge: bool = False
    anchor: str | None = None
    start: Any = None  # libyaml mark
    merge: list[dict[Any, Any]] = field(default_factory=list)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def load_values(text: str) -> Any:
    """Parse one YAML document fast, without positions (the common case: a valid file).
    Any problem is reported by parsing again with positions, for its exact location."""
    return load_yaml(text, track=False)[0]


def load_yaml(text: str, track: bool = True) -> tuple[Any, Positions]:
    """Parse one YAML document. Raises YamlLoadError with the position of the first problem.

    Hot loop: one pass over libyaml's events, dispatching on the event class, storing marks
    (converted to line/column only when asked) and building values without nodes."""
    loader = _Loader(text)
    constructor = yaml.SafeLoader("")  # only used for the rarer scalar types
    positions = Positions()
    values, keys = positions.values, positions.keys
    anchors: dict[str, tuple[Any, int]] = {}
    resolved: dict[tuple[str, Any], str] = {}  # implicit tags by (value, implicit), found once
    resolve = loader.resolve
    stack: list[_Frame] = []
    root: Any = None
    have_root = False
    documents = 0
    total = 0
    Scalar, Alias = yaml.ScalarEvent, yaml.AliasEvent
    MapStart, SeqStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
    MapEnd, SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
    try:
        while loader.check_event():
            event = loader.get_event()
            cls = event.__class__
            merge_key = False
            if cls is Scalar:
                start = event.start_mark
                tag = event.tag
                raw = event.value
                if tag is None or tag == "!":
                    rkey = (raw, event.implicit)
                    tag = resolved.get(rkey)
                    if tag is None:
                        tag = resolve(yaml.ScalarNode, raw, event.implicit)
                        if event.implicit[0] and _yaml11_trap(tag, raw) is not None:
                            tag = _YAML11
                        resolved[rkey] = tag
                elif tag not in _SAFE_TAGS:
                    raise YamlLoadError(f"unsupported YAML tag {tag.replace('tag:yaml.org,2002:', '!!')}", *_pos(start),
                                        _current_path(stack), "remove the tag; a topology uses plain values")
                if tag == _STR:  # the common cases, without building a node
                    value = raw
                elif tag == _INT and raw.isascii() and raw.isdigit() and (raw[0] != "0" or raw == "0"):
                    value = int(raw)
                elif tag == _MERGE:
                    value, merge_key = raw, True
                elif tag == _YAML11:
                    message, hint = _yaml11_trap(resolve(yaml.ScalarNode, raw, (True, False)), raw)  # type: ignore[misc]
                    raise YamlLoadError(message, *_pos(start), _current_path(stack), hint)
                else:
                    node = yaml.ScalarNode(tag, raw, event.start_mark, event.end_mark, event.style)
                    try:
                        value = constructor.construct_object(node)
                    except yaml.YAMLError as exc:
                        raise YamlLoadError(
                            f"cannot read value {raw!r}: {_problem(exc)}", *_pos(start), _current_path(stack)
                        ) from None
                    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
                        short = tag.replace("tag:yaml.org,2002:", "!!")
                        raise YamlLoadError(f"cannot read value {raw!r} as {short}", *_pos(start), _current_path(stack),
                                            f"remove the tag, or write a valid {short} value ({type(exc).__name__})") from None
                size = 1
                total += 1
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif cls is MapEnd or cls is SeqEnd:
                frame = stack.pop()
                if frame.merge:
                    for extra in frame.merge:
                        for k, v in extra.items():
                            frame.value.setdefault(k, v)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (frame.value, frame.size)
                value, size = frame.value, frame.size
                start = frame.start
            elif cls is MapStart or cls is SeqStart:
                start = event.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise YamlLoadError(
                        f"nesting deeper than {MAX_DEPTH} levels",
                        *_pos(start),
                        _current_path(stack)[:4] + ("...",),
                        hint="a topology is at most a few levels deep; check the indentation",
                    )
                if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise YamlLoadError(f"unsupported YAML tag {event.tag.replace('tag:yaml.org,2002:', '!!')}", *_pos(start),
                                        _current_path(stack), "remove the tag; a topology uses plain values")
                is_map = cls is MapStart
                stack.append(_Frame("map" if is_map else "seq", _child_path(stack) if track else (),
                                    {} if is_map else [], anchor=event.anchor, start=start))
                total += 1
                continue
            elif cls is Alias:
                start = event.start_mark
                if event.anchor not in anchors:
                    raise YamlLoadError(f"unknown alias *{event.anchor}", *_pos(start), _current_path(stack),
                                        "define the anchor (&name) before using it")
                value, size = anchors[event.anchor]
                total += size
                if total > MAX_EXPANDED_NODES:
                    raise YamlLoadError(
                        f"aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                        *_pos(start),
                        _current_path(stack),
                        hint="the file looks like an alias bomb ('billion laughs'); write the values out",
                    )
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlLoadError(
                        "more than one YAML document in the file",
                        *_pos(event.start_mark),
                        hint="a topology is one document; remove the '---' separator",
                    )
                continue
            else:  # stream start/end, document end
                continue
            # attach the value (scalar, alias or finished collection) to its parent
            if not stack:
                root, have_root = value, True
                values[()] = start
                continue
            parent = stack[-1]
            parent.size += size
            if parent.kind == "seq":
                if track:
                    values[parent.path + (len(parent.value),)] = start
                parent.value.append(value)
            elif not parent.have_key:
                if isinstance(value, (dict, list)):
                    raise YamlLoadError("a mapping key must be a plain value", *_pos(start), parent.path)
                if not isinstance(value, str) and not merge_key:
                    # every key of a topology is a name; YAML reads 123, true or null as other types
                    raise YamlLoadError(f"the key {value!r} is read as {type(value).__name__ if value is not None else 'null'}, "
                                        "not as a name", *_pos(start), parent.path,
                                        f"quote it: '{raw if cls is Scalar else value}'")
                parent.pending_key, parent.key_pos, parent.have_key = value, start, True
                parent.key_is_merge = merge_key
            else:
                key = parent.pending_key
                parent.have_key = False
                if parent.key_is_merge:
                    extras = value if isinstance(value, list) else [value]
                    if not all(isinstance(x, dict) for x in extras):
                        raise YamlLoadError("'<<' merges mappings only", *_pos(start), parent.path)
                    parent.merge.extend(extras)
                    continue
                if key in parent.value:
                    raise YamlLoadError(
                        f"duplicate key {key!r}",
                        *_pos(parent.key_pos),
                        parent.path + (key,),
                        hint="each key may appear once in a mapping; merge the two entries",
                    )
                if track:
                    path = parent.path + (key if key.__class__ is str else _key_str(key),)
                    keys[path] = parent.key_pos
                    values[path] = start
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


def plain_scalar_problem(raw: str) -> tuple[str, str] | None:
    """(message, hint) when `raw`, read as a plain YAML scalar, is one of YAML 1.1's traps."""
    return _yaml11_trap(_Loader("").resolve(yaml.ScalarNode, raw, (True, False)), raw)


def _yaml11_trap(tag: str, raw: str) -> tuple[str, str] | None:
    """(message, hint) when a plain scalar reads differently in YAML 1.1 (PyYAML) from what it
    looks like: 01500 is octal 832, 0x10 is 16, 1_000 is 1000, 1:20 is 80 (base 60), yes/no/on/off
    are booleans. Checked once per distinct scalar. (0o17, a YAML 1.2 octal, is the text '0o17' in
    YAML 1.1: the schema refuses it where a number is meant, and it stays valid text elsewhere.)"""
    if tag == _INT and not _DECIMAL.fullmatch(raw):
        value = yaml.SafeLoader("").construct_yaml_int(yaml.ScalarNode(_INT, raw))
        digits = raw.lstrip("+-")
        if digits.isdigit():  # 01500: the leading zero makes it octal
            meant = int(raw, 10)
            return (f"{raw} is read by YAML 1.1 as octal {value}, not as {meant}",
                    f"write {meant}, or quote it ('{raw}') if it is text")
        kind = {"0x": "hexadecimal ", "0b": "binary "}.get(digits[:2], "")
        how = "sexagesimal (base 60) " if ":" in raw else "" if kind else "'_'-separated "
        return (f"{raw} is read by YAML 1.1 as the {kind or how}number {value}",
                f"write {value} in plain decimal, or quote it ('{raw}') if it is text")
    if tag == _FLOAT and ("_" in raw or ":" in raw):
        how = "sexagesimal (base 60)" if ":" in raw else "'_'-separated"
        return (f"{raw} is read by YAML 1.1 as a {how} number",
                f"write the number in plain decimal, or quote it ('{raw}') if it is text")
    if tag == _BOOL and raw not in _YAML11_BOOL_OK:
        value = "true" if raw.lower() in ("yes", "on") else "false"
        return (f"{raw} is read by YAML 1.1 as the boolean {value}",
                f"write {value} for a switch, or quote it ('{raw}') if it is text")
    return None


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
