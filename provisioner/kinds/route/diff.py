"""Routes, in every table but the kernel's local one: in a lab namespace every route but the kernel's is the lab's; in the node's root
namespace only those with topo's protocol number that the record lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.diff import DiffContext, ForeignDiff, Outcome
from ...core.effects import Effects
from ...core.keys import RouteKey
from ...core.plan import Change, Unmanaged
from ...model import Route, kernel_default_metric
from ...rtnl import RT_TABLE_MAIN, RTN_NAMES, RTN_UNICAST, RTPROT_KERNEL, RTPROT_TOPO
from .ops import DELETE_ROUTE, SET_ROUTE, RouteSpec

if TYPE_CHECKING:
    from ...live import LiveRoute


def target(route: Route) -> str:
    """A route's name in a plan: its destination, and its metric when it has one (two routes
    to one destination differ by metric)."""
    dst = "default" if route.is_default else str(route.dst)
    return (f"route {dst}" + (f" metric {route.metric}" if route.metric is not None else "")
            + (f" table {route.table}" if route.table != RT_TABLE_MAIN else ""))


def matches(want: Route, have: LiveRoute, root: bool = False) -> bool:
    """Whether the route is as the file says; in the root namespace it must also carry topo's
    protocol (else it is not marked as the lab's: set it again)."""
    if root and have.proto != RTPROT_TOPO:
        return False
    if have.type != RTN_UNICAST or want.via != have.via or want.onlink != have.onlink:
        return False
    if want.dev is not None and want.dev != have.dev:
        return False
    return want.src == have.src


def as_route(r: LiveRoute) -> Route:
    metric = None if r.metric == kernel_default_metric(r.dst) else r.metric
    return Route(r.dst, r.via, r.dev, metric, r.onlink, r.src, table=r.table)


def live_text(r: LiveRoute) -> str:
    text = as_route(r).describe()
    return text if r.type == RTN_UNICAST else f"{RTN_NAMES.get(r.type, f'type {r.type}')} {text}"


def key_of(netns: str | None, route: Route | LiveRoute) -> RouteKey:
    return RouteKey.of(netns, route.dst, route.metric, route.table)


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    recorded = set(ctx.record.root_routes)
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        live = ctx.live_ns(name, effects)
        have: dict[RouteKey, LiveRoute] = {}
        others: dict[RouteKey, LiveRoute] = {}  # the root namespace's routes that are not the lab's
        foreign: set[RouteKey] = set()
        flushed: set[RouteKey] = set()
        for r in (live.routes if live else []):
            key = key_of(name, r)
            if r.dev is not None and (effects.link_made(name, r.dev) or effects.link_goes(name, r.dev)):
                flushed.add(key)  # its link goes (or is made anew): the kernel removes the route with it
                continue
            if name is None:
                if key in recorded:
                    # the record says the lab made the route at this key: whatever is there now
                    # (another protocol after an `ip route replace`, another type) is drift
                    have.setdefault(key, r)
                else:
                    others.setdefault(key, r)  # any type: a blackhole at the key is in the way too
            elif r.proto != RTPROT_KERNEL and r.type == RTN_UNICAST:
                have[key] = r
        want = {key_of(name, r): r for r in ns.routes}
        for key, route in want.items():
            cur = have.get(key)
            if cur is not None and effects.ipv4_address_goes(name) and route.dst.version == 4:
                # the kernel may flush IPv4 routes when an address goes: set them again (replace)
                out.add(SET_ROUTE, Change.UPDATE, name, target(route), RouteSpec(route, replace=True),
                        before="flushed with a removed address", after=route.describe(), key=key)
                continue
            other = others.get(key) if cur is None else None
            if other is not None:
                _foreign(ctx, out, key, route, other)
                if not ctx.adopt:
                    foreign.add(key)  # not the lab's: never recorded
                continue
            if cur is None:
                out.add(SET_ROUTE, Change.CREATE, name, f"route {route.describe()}", RouteSpec(route),
                        after=route.describe(), key=key)
            elif not matches(route, cur, root=name is None):
                before = live_text(cur) + ("" if name is not None or cur.proto == RTPROT_TOPO else f" (proto {cur.proto})")
                out.add(SET_ROUTE, Change.UPDATE, name, target(route), RouteSpec(route, replace=True),
                        before=before, after=route.describe(), key=key)
        for key, cur in have.items():
            if key not in want:
                out.add(DELETE_ROUTE, Change.DELETE, name, f"route {live_text(cur)}", RouteSpec(as_route(cur)),
                        before=live_text(cur), key=key)
        if name is None:
            # keys whose route is another's now are no longer the lab's
            recorded = (recorded - set(have) - set(others) - flushed) | (set(want) - foreign)
    ctx.record.root_routes = sorted(recorded, key=RouteKey.order)
    return out


def _foreign(ctx: DiffContext, out: Outcome, key: RouteKey, route: Route, other: LiveRoute) -> None:
    """A root-namespace route the file names that exists, made by another tool (or lab)."""
    name = target(route)
    if ctx.adopt:
        out.add(SET_ROUTE, Change.UPDATE, None, name, RouteSpec(route, replace=True),
                before=f"{live_text(other)} (not the lab's)", after=route.describe(), key=key)
    elif matches(route, other):
        out.unmanaged.append(Unmanaged(None, f"route {route.describe()}"))
    else:
        out.foreign.append(ForeignDiff(key, name, None, f"~ {name}: {live_text(other)} -> {route.describe()}"))
