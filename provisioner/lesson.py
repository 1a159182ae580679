"""Lesson stages: `stages:` in a topology file, each a named overlay on the base lab.

Stage k's lab is the base lab (the file without `stages:`) with the overlays of stages 1..k
applied in order. An overlay has `add` (objects that must not exist yet), `change` (merged
into existing objects by name, as a JSON Merge Patch, RFC 7386: a null removes a key), `remove`
(objects to drop, by their key) and `checks` (added like `add: {checks: ...}`).

The result is an ordinary document plus where each of its objects was written (`Origins`), so
that every problem the validator finds in a stage is reported at the stage's own YAML path.
Nothing here touches the machine.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterator, Mapping

from .diagnostics import DiagnosticSink, YamlPath, format_path

BASE = "base"
"""The name listings give the lab without any stage (not a name a stage may take)."""


class Shape(Enum):
    MAP = "map"  # objects by name: `namespaces: {pod-a: {...}}`
    LIST = "list"  # a list of objects, each known by a key (`links`: an end; `routes`: `to`)
    SINGLE = "single"  # one value (`dns`, `serviceCIDR`)


def _endpoint(end: Any) -> str | None:
    at = end.get("at") if isinstance(end, dict) else end
    return at if isinstance(at, str) else None


def _link_keys(item: Mapping[str, Any]) -> list[str]:
    return [k for k in (_endpoint(item.get("a")), _endpoint(item.get("b"))) if k]


def _field_keys(*names: str) -> Callable[[Mapping[str, Any]], list[str]]:
    def keys(item: Mapping[str, Any]) -> list[str]:
        value = [item.get(n) for n in names]
        if any(v is None for v in value):
            return []
        return [" ".join(str(v) for v in value)]
    return keys


@dataclass(frozen=True)
class Collection:
    """A top-level key of a topology as stages see it: its shape and, for lists, how an item
    is named in `remove` and `change` (the key of a link is either of its ends)."""

    shape: Shape
    keys: Callable[[Mapping[str, Any]], list[str]] = lambda item: []
    key_help: str = ""


COLLECTIONS: dict[str, Collection] = {
    "description": Collection(Shape.SINGLE),
    "nodes": Collection(Shape.MAP),
    "namespaces": Collection(Shape.MAP),
    "bridges": Collection(Shape.MAP),
    "links": Collection(Shape.LIST, _link_keys, "either end, `OWNER:IFNAME`"),
    "vxlans": Collection(Shape.MAP),
    "routes": Collection(Shape.LIST, _field_keys("to"), "its `to`"),
    "sysctls": Collection(Shape.MAP),
    "hosts": Collection(Shape.MAP),
    "serviceCIDR": Collection(Shape.SINGLE),
    "services": Collection(Shape.MAP),
    "policies": Collection(Shape.MAP),
    "dns": Collection(Shape.SINGLE),
    "checks": Collection(Shape.LIST, _field_keys("name"), "its `name`"),
    "macvlans": Collection(Shape.LIST, _field_keys("at"), "its `at`"),
    "taps": Collection(Shape.LIST, _field_keys("at"), "its `at`"),
    "tables": Collection(Shape.MAP),
    "rules": Collection(Shape.LIST, _field_keys("priority"), "its `priority`"),
}
"""Every top-level key a stage may add, change or remove (tests/test_stages_overlay.py checks that
it covers the published schema's top-level keys but `name`, `vars` and `stages`)."""


@dataclass
class Placed:
    """One object of the effective document: its value, where it was declared, and where the
    keys later stages changed in it were written (relative path -> source path)."""

    value: Any
    origin: YamlPath
    patches: dict[YamlPath, YamlPath] = field(default_factory=dict)


@dataclass(frozen=True)
class LessonStage:
    """One entry of `stages:` (not the apply phases of core.plan.Stage)."""

    index: int
    name: str
    description: str
    raw: Mapping[str, Any]

    @property
    def path(self) -> YamlPath:
        return ("stages", self.index)


Origins = dict[YamlPath, YamlPath]


@dataclass
class Effective:
    """The lab as the stages applied so far make it, object by object."""

    singles: dict[str, Placed] = field(default_factory=dict)
    maps: dict[str, dict[str, Placed]] = field(default_factory=dict)
    lists: dict[str, list[Placed]] = field(default_factory=dict)

    @classmethod
    def of_base(cls, data: Mapping[str, Any]) -> "Effective":
        eff = cls()
        for key, value in data.items():
            col = COLLECTIONS.get(key)
            if col is None or value is None:
                continue
            if col.shape is Shape.MAP and isinstance(value, dict):
                eff.maps[key] = {str(n): Placed(copy.deepcopy(v), (key, n)) for n, v in value.items()}
            elif col.shape is Shape.LIST and isinstance(value, list):
                eff.lists[key] = [Placed(copy.deepcopy(v), (key, i)) for i, v in enumerate(value)]
            else:
                eff.singles[key] = Placed(copy.deepcopy(value), (key,))
        return eff

    def copy(self) -> "Effective":
        return copy.deepcopy(self)

    def document(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """The effective document: the base's other keys (name, vars) and every object, in
        the file's order of keys."""
        out: dict[str, Any] = {k: v for k, v in base.items() if k not in COLLECTIONS and k != "stages"}
        for key in COLLECTIONS:
            if key in self.singles:
                out[key] = self.singles[key].value
            elif self.maps.get(key):
                out[key] = {n: p.value for n, p in self.maps[key].items()}
            elif self.lists.get(key):
                out[key] = [p.value for p in self.lists[key]]
        return out

    def placed(self) -> Iterator[tuple[YamlPath, Placed]]:
        """Every object with its path in the effective document."""
        for key, p in self.singles.items():
            yield (key,), p
        for key, objs in self.maps.items():
            for name, p in objs.items():
                yield (key, name), p
        for key, items in self.lists.items():
            for i, p in enumerate(items):
                yield (key, i), p

    def origins(self) -> Origins:
        out: Origins = {}
        for path, p in self.placed():
            out[path] = p.origin
            for rel, src in p.patches.items():
                out[path + rel] = src
        return out


def translate(origins: Origins, path: YamlPath) -> YamlPath:
    """Where a path of the effective document was written in the file (the longest known prefix)."""
    for n in range(len(path), 0, -1):
        src = origins.get(tuple(path[:n]))
        if src is not None:
            return src + tuple(path[n:])
    return tuple(path)


def merge_patch(target: Any, patch: Any, rel: YamlPath, src: YamlPath, patches: dict[YamlPath, YamlPath]) -> Any:
    """RFC 7386 JSON Merge Patch of `patch` into `target`, noting where each key set came from."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        patches[rel] = src
        return copy.deepcopy(patch)
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            patches.pop(rel + (key,), None)
        else:
            out[key] = merge_patch(out.get(key), value, rel + (key,), src + (key,), patches)
    return out


def _close(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{close[0]}'?" if close else (f"known: {', '.join(known)}" if known else None)


@dataclass
class Overlay:
    """Applies one stage to an Effective lab, reporting each mistake at the stage's own path."""

    stage: LessonStage
    eff: Effective
    sink: DiagnosticSink
    removed: list[tuple[str, str, YamlPath]] = field(default_factory=list)  # (kind, key, where) this stage removed

    def section(self, name: str) -> Iterator[tuple[str, Any, YamlPath]]:
        raw = self.stage.raw.get(name)
        if not isinstance(raw, dict):
            return
        for key, value in raw.items():
            where = self.stage.path + (name, key)
            if key not in COLLECTIONS:
                self.sink.error(where, f"a stage cannot {name} '{key}'", "a stage's add, change and remove take: "
                                + ", ".join(COLLECTIONS), key=True)
            elif value is not None:
                yield key, value, where

    def apply(self) -> None:
        for key, value, where in self.section("remove"):
            self.remove(key, value, where)
        for key, value, where in self.section("change"):
            self.change(key, value, where)
        for key, value, where in self.section("add"):
            self.add(key, value, where)
        checks = self.stage.raw.get("checks")
        if isinstance(checks, list):
            self.add("checks", checks, self.stage.path + ("checks",))

    def _list_index(self, key: str, name: str) -> int | None:
        col = COLLECTIONS[key]
        found = [i for i, p in enumerate(self.eff.lists.get(key, [])) if isinstance(p.value, dict) and name in col.keys(p.value)]
        return found[0] if len(found) == 1 else None

    def _known(self, key: str) -> list[str]:
        col = COLLECTIONS[key]
        if col.shape is Shape.MAP:
            return list(self.eff.maps.get(key, {}))
        return [k for p in self.eff.lists.get(key, []) if isinstance(p.value, dict) for k in col.keys(p.value)]

    def _missing(self, where: YamlPath, key: str, name: str, verb: str) -> None:
        noun = key.removesuffix("s")
        extra = f" (a {noun} is named by {COLLECTIONS[key].key_help})" if COLLECTIONS[key].key_help else ""
        self.sink.error(where, f"stage '{self.stage.name}' {verb} {noun} '{name}', which the lab does not have at this stage{extra}",
                        _close(name, self._known(key)))

    def remove(self, key: str, value: Any, where: YamlPath) -> None:
        col = COLLECTIONS[key]
        if col.shape is Shape.SINGLE:
            if key not in self.eff.singles:
                self.sink.error(where, f"stage '{self.stage.name}' removes '{key}', which the lab does not have at this stage")
            self.eff.singles.pop(key, None)
            self.removed.append((key, key, where))
            return
        for i, name in enumerate(value if isinstance(value, list) else []):
            at = where + (i,)
            name = str(name)
            if col.shape is Shape.MAP and name in self.eff.maps.get(key, {}):
                del self.eff.maps[key][name]
            elif col.shape is Shape.LIST and (j := self._list_index(key, name)) is not None:
                del self.eff.lists[key][j]
            else:
                self._missing(at, key, name, "removes")
                continue
            self.removed.append((key, name, at))

    def change(self, key: str, value: Any, where: YamlPath) -> None:
        col = COLLECTIONS[key]
        if col.shape is Shape.SINGLE:
            old = self.eff.singles.get(key)
            if old is None:
                self.sink.error(where, f"stage '{self.stage.name}' changes '{key}', which the lab does not have at this stage",
                                "use add: for something new")
                return
            old.value = merge_patch(old.value, value, (), where, old.patches)
            return
        items = value.items() if col.shape is Shape.MAP and isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else [])
        for name, patch in items:
            at = where + (name,)
            target = self._target(key, name, patch, at)
            if target is not None:
                target.value = merge_patch(target.value, patch, (), at, target.patches)

    def _target(self, key: str, name: Any, patch: Any, at: YamlPath) -> Placed | None:
        col = COLLECTIONS[key]
        if col.shape is Shape.MAP:
            found = self.eff.maps.get(key, {}).get(str(name))
            if found is None:
                self._missing(at, key, str(name), "changes")
            return found
        names = col.keys(patch) if isinstance(patch, dict) else []
        if not names:
            self.sink.error(at, f"a change of {key} names the {key.removesuffix('s')} by {col.key_help}")
            return None
        j = self._list_index(key, names[0])
        if j is None:
            self._missing(at, key, names[0], "changes")
            return None
        return self.eff.lists[key][j]

    def add(self, key: str, value: Any, where: YamlPath) -> None:
        col = COLLECTIONS[key]
        if col.shape is Shape.SINGLE:
            if key in self.eff.singles:
                self.sink.error(where, f"stage '{self.stage.name}' adds '{key}', which the lab already has",
                                "use change: to change it")
                return
            self.eff.singles[key] = Placed(copy.deepcopy(value), where)
        elif col.shape is Shape.MAP and isinstance(value, dict):
            objs = self.eff.maps.setdefault(key, {})
            for name, obj in value.items():
                if str(name) in objs:
                    self.sink.error(where + (name,), f"stage '{self.stage.name}' adds {key.removesuffix('s')} '{name}', "
                                    f"which the lab already has (from {format_path(objs[str(name)].origin)})",
                                    "use change: to change it", key=True)
                    continue
                objs[str(name)] = Placed(copy.deepcopy(obj), where + (name,))
        elif isinstance(value, list):
            items = self.eff.lists.setdefault(key, [])
            for i, obj in enumerate(value):
                taken = [n for n in (col.keys(obj) if isinstance(obj, dict) else []) if self._list_index(key, n) is not None]
                if taken:
                    self.sink.error(where + (i,), f"stage '{self.stage.name}' adds {key.removesuffix('s')} '{taken[0]}', "
                                    "which the lab already has", "use change: to change it")
                    continue
                items.append(Placed(copy.deepcopy(obj), where + (i,)))
