"""A cluster DNS (`dns:`), as kube-dns gives a cluster: dnsmasq in a pod of the lab, behind a
kube-dns Service, and every other pod's resolv.conf pointing at it."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import REMOVE_RESOLV, WRITE_RESOLV
from .read import read

KIND = KindSpec("dns", depends=("service", "hosts"), ops=(WRITE_RESOLV, REMOVE_RESOLV), diff=diff, facts=read)
