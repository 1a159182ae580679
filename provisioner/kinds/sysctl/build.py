"""Build a namespace's sysctls (`sysctls:` of a namespace, a node, or the top level): net.*
keys only, values as the kernel reads them."""

from __future__ import annotations

from typing import Any

from ...diagnostics import YamlPath
from ...model import Netns
from ...names import sysctl_key_problem, sysctl_value_problem
from ..buildctx import BuildContext

_FORWARDING = ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding")  # one setting of the kernel


def in_netns(ctx: BuildContext, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
    ns.sysctls.update(sysctls(ctx, path + ("sysctls",), raw.get("sysctls")))


def sysctls(ctx: BuildContext, path: YamlPath, raw: dict[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (raw or {}).items():
        if err := sysctl_key_problem(key):
            ctx.sink.error(path + (key,), err,
                           "only net.* sysctls are per network namespace; others would change the whole machine", key=True)
            continue
        out[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        if err := sysctl_value_problem(key, out[key]):
            ctx.sink.error(path + (key,), err)
    a, b = _FORWARDING
    if a in out and b in out and out[a].strip() != out[b].strip():
        ctx.sink.error(path + (b,), f"{b} is {out[b]} but {a} is {out[a]}: they are one setting of the kernel",
                       "keep one of them", key=True)
    return out
