"""Assemble the published topology schema (schemas/topology.schema.json) from its fragments.

Fragment format (JSON files; every key optional unless said):

- The core fragment (provisioner/schema_core.json) has `schema`, required: the schema with its
  own properties and shared `$defs`; and `slots`.
- A kind's fragment (provisioner/kinds/<kind>/schema.json) has `slots` and `contributes`.
- `slots` declares named places that take properties: `{"NAME": {"at": POINTER, "order": [KEY...]}}`.
  `at` is a JSON pointer (RFC 6901) to an object in the schema being assembled (the core declares
  `$defs`, `top`, `namespace`, `node`; a kind may declare one inside a `$defs` entry it adds, e.g.
  `bridge`). `order`, optional, is the published order of the slot's keys; keys it does not list
  (or all, without it) follow in the order they were added: the core's, then the kinds' in kind order.
- `contributes` maps a slot name to the entries the kind adds there: `{"top": {"links": {...}}}`,
  `{"$defs": {"link": {...}}}`. A slot must be declared by the core or an earlier kind.

Kinds are merged in the order given (a dependency order, never the filesystem's); a key added
twice, an unknown slot or field, or a `$ref` to nothing is an error. Rewrite the published file
with `python -m provisioner.schema_build` (`--check` only compares).
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

PACKAGE = Path(__file__).resolve().parent
CORE_FRAGMENT = PACKAGE / "schema_core.json"
KINDS_DIR = PACKAGE / "kinds"
PUBLISHED = PACKAGE.parent / "schemas" / "topology.schema.json"
COMPILED = PACKAGE / "_schema_fast.py"  # the published schema compiled to Python (validate.py; made by setup, not kept in git)
FRAGMENT_NAME = "schema.json"

_CORE_FIELDS = frozenset({"schema", "slots"})
_KIND_FIELDS = frozenset({"slots", "contributes"})
_SLOT_FIELDS = frozenset({"at", "order"})


class SchemaBuildError(Exception):
    """A fragment that cannot be assembled; the message says which fragment and why."""


@dataclass(frozen=True)
class Fragment:
    """One fragment: who it is (`core` or a kind's name), and its parsed JSON."""

    owner: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Slot:
    owner: str
    at: str
    order: tuple[str, ...]


def default_kinds(kinds_dir: Path = KINDS_DIR) -> list[tuple[str, Path]]:
    """The registry's kinds that have a fragment, in its order, with their directories."""
    from .kinds.registry import REGISTRY

    return [(k.name, kinds_dir / k.name) for k in REGISTRY.kinds if (kinds_dir / k.name / "schema.json").is_file()]


def read_fragment(owner: str, path: Path) -> Fragment:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaBuildError(f"{owner}: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SchemaBuildError(f"{owner}: {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SchemaBuildError(f"{owner}: {path} must hold a JSON object")
    return Fragment(owner, data)


def _pointer(schema: Any, pointer: str, owner: str) -> dict[str, Any]:
    """The object a JSON pointer names in `schema`."""
    if pointer != "" and not pointer.startswith("/"):
        raise SchemaBuildError(f"{owner}: slot pointer {pointer!r} must start with '/'")
    node = schema
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]  # an array's item (RFC 6901), e.g. one branch of a oneOf
            continue
        if not isinstance(node, dict) or token not in node:
            raise SchemaBuildError(f"{owner}: slot pointer {pointer!r} names nothing in the schema (no {token!r})")
        node = node[token]
    if not isinstance(node, dict):
        raise SchemaBuildError(f"{owner}: slot pointer {pointer!r} names a {type(node).__name__}, not an object")
    return node


def _check_fields(owner: str, what: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SchemaBuildError(f"{owner}: unknown {what} field(s) {', '.join(map(repr, unknown))} "
                               f"(allowed: {', '.join(sorted(allowed))})")


def _declare(schema: dict[str, Any], slots: dict[str, Slot], fragment: Fragment) -> None:
    declared = fragment.data.get("slots", {})
    if not isinstance(declared, dict):
        raise SchemaBuildError(f"{fragment.owner}: `slots` must be an object of slot names")
    for name, spec in declared.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("at"), str):
            raise SchemaBuildError(f"{fragment.owner}: slot {name!r} needs `at`, a JSON pointer")
        _check_fields(fragment.owner, f"slot {name!r}", spec, _SLOT_FIELDS)
        order = spec.get("order", [])
        if not isinstance(order, list) or not all(isinstance(key, str) for key in order):
            raise SchemaBuildError(f"{fragment.owner}: slot {name!r}: `order` must be a list of keys")
        if name in slots:
            raise SchemaBuildError(f"{fragment.owner}: slot {name!r} is already declared by {slots[name].owner}")
        _pointer(schema, spec["at"], fragment.owner)
        slots[name] = Slot(fragment.owner, spec["at"], tuple(order))


def _contribute(schema: dict[str, Any], slots: Mapping[str, Slot], owners: dict[tuple[str, str], str],
                fragment: Fragment) -> None:
    contributes = fragment.data.get("contributes", {})
    if not isinstance(contributes, dict):
        raise SchemaBuildError(f"{fragment.owner}: `contributes` must be an object of slot names")
    for slot_name, entries in contributes.items():
        slot = slots.get(slot_name)
        if slot is None:
            raise SchemaBuildError(f"{fragment.owner}: contributes to slot {slot_name!r}, which neither the core nor "
                                   f"an earlier kind declares (declared: {', '.join(slots)})")
        if not isinstance(entries, dict):
            raise SchemaBuildError(f"{fragment.owner}: contributions to slot {slot_name!r} must be an object")
        target = _pointer(schema, slot.at, fragment.owner)
        for key, value in entries.items():
            if key in target:
                first = owners.get((slot_name, key), slot.owner)
                raise SchemaBuildError(f"{fragment.owner}: {key!r} in slot {slot_name!r} is already given by {first}")
            target[key] = copy.deepcopy(value)
            owners[(slot_name, key)] = fragment.owner


def _reorder(schema: dict[str, Any], slots: Mapping[str, Slot]) -> None:
    """Put each slot's keys in its declared order; the others keep theirs, after."""
    for slot in slots.values():
        if not slot.order:
            continue
        target = _pointer(schema, slot.at, slot.owner)
        entries = dict(target)
        target.clear()
        target.update({key: entries.pop(key) for key in slot.order if key in entries})
        target.update(entries)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield ref
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _check_refs(schema: dict[str, Any], owner: str, part: Any) -> None:
    """Every local `$ref` in one fragment's part names something in the assembled schema."""
    for ref in _refs(part):
        if not ref.startswith("#"):
            continue
        try:
            _pointer(schema, ref[1:], owner)
        except SchemaBuildError:
            raise SchemaBuildError(f"{owner}: $ref {ref!r} names nothing in the assembled schema "
                                   "(is the kind that defines it missing?)") from None


def assemble(core: Fragment, kinds: Sequence[Fragment]) -> dict[str, Any]:
    """The schema: the core's, with every kind's contributions merged in the order given."""
    _check_fields(core.owner, "fragment", core.data, _CORE_FIELDS)
    if not isinstance(core.data.get("schema"), dict):
        raise SchemaBuildError(f"{core.owner}: the core fragment needs `schema`, a JSON object")
    schema: dict[str, Any] = copy.deepcopy(dict(core.data["schema"]))
    slots: dict[str, Slot] = {}
    _declare(schema, slots, core)
    owners: dict[tuple[str, str], str] = {}
    for fragment in kinds:
        _check_fields(fragment.owner, "fragment", fragment.data, _KIND_FIELDS)
        _contribute(schema, slots, owners, fragment)
        _declare(schema, slots, fragment)
    _reorder(schema, slots)
    for fragment in (core, *kinds):
        _check_refs(schema, fragment.owner, fragment.data)
    return schema


def render(schema: Mapping[str, Any]) -> str:
    """The schema as the published file is written: JSON indented by two, one final newline."""
    return json.dumps(schema, indent=2) + "\n"


def build(kinds: Sequence[tuple[str, Path]], core_path: Path = CORE_FRAGMENT) -> str:
    """The published schema's text from the core fragment and (kind name, fragment directory) pairs."""
    names = [name for name, _ in kinds]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SchemaBuildError(f"kind(s) listed twice: {', '.join(repeated)}")
    fragments = [read_fragment(name, directory / FRAGMENT_NAME) for name, directory in kinds]
    return render(assemble(read_fragment("core", core_path), fragments))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in ([], ["--check"], ["--compile"]):
        print("usage: python -m provisioner.schema_build [--check | --compile]", file=sys.stderr)
        return 2
    from .validate import compiled_checker_source

    if args == ["--compile"]:  # only the compiled checker, from the published schema (setup.sh)
        _write(COMPILED, compiled_checker_source(PUBLISHED.read_text(encoding="utf-8")))
        return 0
    if not PUBLISHED.parent.is_dir():
        print(f"schema_build: no {PUBLISHED.parent}: run it from a source checkout", file=sys.stderr)
        return 1
    try:
        text = build(default_kinds())
    except SchemaBuildError as exc:
        print(f"schema_build: {exc}", file=sys.stderr)
        return 1
    current = PUBLISHED.read_text(encoding="utf-8") if PUBLISHED.is_file() else None
    if args == ["--check"]:
        if current != text:
            print(f"schema_build: {PUBLISHED} differs from its fragments; run `python -m provisioner.schema_build`",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        PUBLISHED.write_text(text, encoding="utf-8")
        print(f"wrote {PUBLISHED}")
    _write(COMPILED, compiled_checker_source(text))
    return 0


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")

if __name__ == "__main__":
    sys.exit(main())
