"""Services in a topology file: the top-level `services:`; defaults left out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Service

if TYPE_CHECKING:
    from ...dump import Data, DumpContext


def document(ctx: DumpContext) -> Data:
    declared = [s for s in ctx.topo.services if s.made_by is None]
    cidr = {"serviceCIDR": str(ctx.topo.service_cidr)} if ctx.topo.service_cidr is not None else {}
    return {**cidr, "services": {s.name: service(s) for s in declared}} if declared else cidr


def service(svc: Service) -> Data:
    out: Data = {}
    if svc.namespace != "default":
        out["namespace"] = svc.namespace
    if svc.node_ports:
        out["type"] = "NodePort"
    if not svc.allocated:
        out["clusterIP"] = str(svc.cluster_ip)
    ports = []
    for p in svc.ports:
        port: Data = {"port": p.port}
        if p.target_port != p.port:
            port["targetPort"] = p.target_port
        if p.protocol != "tcp":
            port["protocol"] = p.protocol.upper()
        if p.node_port is not None:
            port["nodePort"] = p.node_port
        ports.append(port)
    out["ports"] = ports
    if svc.selector:
        out["selector"] = dict(svc.selector)
    else:
        out["endpoints"] = [e.netns for e in svc.endpoints]
    return out
