"""Addresses on interfaces (`addresses:` of an interface, a bridge or a link end)."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import ADD_ADDRESS, DELETE_ADDRESS

KIND = KindSpec("address", depends=("link", "sysctl"), ops=(ADD_ADDRESS, DELETE_ADDRESS), diff=diff)
