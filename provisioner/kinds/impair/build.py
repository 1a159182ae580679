"""Build impairments: `impair:` of a link (both ends send with them), of one end of a link,
or of a namespace's interfaces by name. Each value is checked where the file gives it: a rate
or time without a unit or negative, a percentage over 100, jitter or reordering without delay,
an interface the namespace does not have."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...diagnostics import YamlPath, format_path
from ...model import EndRef, Netns, Place, Topology
from ...names import printable
from ..buildctx import BuildContext, suggest
from . import units
from .model import Chance, Impaired, Impairment

CHANCES = ("loss", "duplicate", "reorder", "corrupt")


@dataclass
class _Declared:
    """The namespaces' `impair:` entries, checked against the interfaces once every kind has built."""

    by_name: list[tuple[Place, str, YamlPath, Impairment]] = field(default_factory=list)


def impairment(ctx: BuildContext, path: YamlPath, raw: dict[str, Any]) -> Impairment | None:
    """The impairment at `path` (None after a problem, each reported where it is)."""
    ok = True

    def take(key: str, value: Any) -> Any:
        nonlocal ok
        if isinstance(value, units.Problem):
            ctx.sink.error(path + (key,), value.message, value.hint)
            ok = False
            return None
        return value

    values: dict[str, Any] = {}
    if "rate" in raw:
        values["rate"] = take("rate", units.rate(raw["rate"]))
    for key in ("delay", "jitter"):
        if key in raw:
            values[key] = take(key, units.time(key, raw[key]))
    for key in CHANCES:
        if key in raw:
            values[key] = _chance(ctx, path + (key,), key, raw[key])
            ok = ok and values[key] is not None
    if "limit" in raw:
        values["limit"] = ctx.integer(path + ("limit",), raw["limit"])
        ok = ok and values["limit"] is not None
    if not ok:
        return None
    for key in ("jitter", "reorder"):
        if values.get(key) and not values.get("delay"):
            ctx.sink.error(path + (key,), f"{key} without delay: netem {'varies' if key == 'jitter' else 'reorders by skipping'} the delay, and there is none",
                           f"add a delay, e.g. `delay: 50ms`, or leave `{key}` out")
            ok = False
    return Impairment(**values) if ok else None


def _chance(ctx: BuildContext, path: YamlPath, what: str, raw: Any) -> Chance | None:
    spec = raw if isinstance(raw, dict) else {"percent": raw}
    parts = {}
    for key in ("percent", "correlation"):
        if key in spec:
            value = units.percent(what if key == "percent" else f"{what} correlation", spec[key])
            if isinstance(value, units.Problem):
                ctx.sink.error(path + (key,) if isinstance(raw, dict) else path, value.message, value.hint)
                return None
            parts[key] = value
    return Chance(**parts)


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    for ifname, spec in (raw.get("impair") or {}).items():
        ipath = path + ("impair", str(ifname))
        found = impairment(ctx, ipath, spec)
        if found is not None:
            ctx.state(_Declared).by_name.append((ns.place, str(ifname), ipath, found))


def build(ctx: BuildContext, topo: Topology) -> None:
    """The links' and their ends' impairments (a link the veth builder refused has none)."""
    pairs = {pair.path: pair for pair in topo.veths}
    for i, lraw in enumerate(ctx.data.get("links") or []):
        pair = pairs.get(("links", i))
        if pair is None:
            continue
        lpath: YamlPath = ("links", i)
        shared = impairment(ctx, lpath + ("impair",), lraw["impair"]) if "impair" in lraw else None
        for side, end in (("a", pair.a), ("b", pair.b)):
            own = lraw[side].get("impair") if isinstance(lraw[side], dict) else None
            if own is not None and "impair" in lraw:
                ctx.sink.error(lpath + (side, "impair"), f"the end's impairments are also given by the link at {format_path(lpath + ('impair',))}",
                               "give them on the link (both ends) or on each end, not both", key=True)
                continue
            found = impairment(ctx, lpath + (side, "impair"), own) if own is not None else shared
            if found is not None:
                _add(topo, end, found, lpath + ((side, "impair") if own is not None else ("impair",)))


def finish(ctx: BuildContext, topo: Topology) -> None:
    """A namespace's `impair:` of an interface it does not have; one interface impaired twice."""
    for place, ifname, path, found in ctx.state(_Declared).by_name:
        ns = topo.netns(place)
        if ifname not in ns.interfaces:
            where = f"namespace {place.netns}" if place.netns else f"node {place.node}"
            names = [n for n in ns.interfaces if n != "lo"]
            ctx.sink.error(path, f"{printable(ifname)} is not an interface of {where}",
                           suggest(ifname, names) or "declare the interface (a link end) first", key=True)
            continue
        other = next((i for i in topo.impairments if i.place == place and i.ifname == ifname), None)
        if other is not None:
            ctx.sink.error(path, f"{ifname}'s impairments are also given at {format_path(other.path)}",
                           "give each interface's impairments in one place", key=True)
            continue
        _add(topo, EndRef(place, ifname), found, path)


def _add(topo: Topology, end: EndRef, found: Impairment, path: YamlPath) -> None:
    topo.impairments.append(Impaired(end.place, end.ifname, found, path))
