"""Kubernetes-style Services (`services:`): ClusterIPs and NodePorts translated to the
endpoints (pods) by the lab's own nftables table, as kube-proxy's nftables mode does it."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import APPLY_TABLE, DELETE_TABLE
from .read import read

KIND = KindSpec("service", depends=("route", "policy"), ops=(DELETE_TABLE, APPLY_TABLE), diff=diff, facts=read)
