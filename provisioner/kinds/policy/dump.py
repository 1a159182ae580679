"""Policies in a topology file: the top-level `policies:`, as the file names pods and peers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Policy, PolicyRule

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def document(ctx: DumpContext) -> Data:
    return {"policies": {p.name: policy(p) for p in ctx.topo.policies}} if ctx.topo.policies else {}


def _rule(r: PolicyRule, side: str) -> Data:
    out: Data = {}
    if r.spec is not None:
        out[side] = [{kind: (dict(value) if kind == "podSelector" else list(value) if kind == "pods" else value)}  # type: ignore[call-overload]
                     for kind, value in r.spec]
    if r.ports:
        out["ports"] = [{"port": n} if proto == "tcp" else {"port": n, "protocol": proto.upper()} for proto, n in r.ports]
    return out


def policy(p: Policy) -> Data:
    out: Data = {"podSelector": dict(p.selector)} if p.selector else {"pods": list(p.pod_names)}
    if p.ingress is not None:
        out["ingress"] = [_rule(r, "from") for r in p.ingress]
    if p.egress is not None:
        out["egress"] = [_rule(r, "to") for r in p.egress]
    return out
