"""The cluster DNS in a topology file: the top-level `dns:` (its process and Service are its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def document(ctx: DumpContext) -> Data:
    dns = ctx.topo.dns
    if dns is None:
        return {}
    out: Data = {"pod": dns.pod, "clusterIP": str(dns.cluster_ip)}
    if dns.domain != "cluster.local":
        out["domain"] = dns.domain
    return {"dns": out}
