"""Build a namespace's /etc/hosts entries (`hosts:` of a namespace, a node, or the top level):
a name and one address or a list of them."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import IPAddress, Netns
from ...names import hosts_name_problem
from ..buildctx import BuildContext


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    ns.hosts.update(hosts(ctx, path + ("hosts",), raw.get("hosts")))


def hosts(ctx: BuildContext, path: YamlPath, raw: dict[str, Any] | None) -> dict[str, tuple[IPAddress, ...]]:
    out: dict[str, tuple[IPAddress, ...]] = {}
    for name, value in (raw or {}).items():
        if err := hosts_name_problem(name):
            ctx.sink.error(path + (name,), err, key=True)
            continue
        values = value if isinstance(value, list) else [value]
        sub = [path + (name, i) for i in range(len(values))] if isinstance(value, list) else [path + (name,)]
        addrs = [ctx.ip(p, v) for p, v in zip(sub, values)]
        out[name] = tuple(a for a in addrs if a is not None)
    return out
