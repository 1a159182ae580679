"""Routes (`routes:` at the top, of a node, of a namespace), in the main table."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import DELETE_ROUTE, SET_ROUTE

KIND = KindSpec("route", depends=("address",), ops=(SET_ROUTE, DELETE_ROUTE), diff=diff)
