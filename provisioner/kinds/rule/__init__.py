"""Policy routing rules (`rules:` at the top, of a node, of a namespace): which packets look
up which routing table."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import ADD_RULE, DELETE_RULE

KIND = KindSpec("rule", depends=("route",), ops=(ADD_RULE, DELETE_RULE), diff=diff)
