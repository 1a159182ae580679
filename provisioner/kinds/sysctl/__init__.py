"""Network sysctls (`sysctls:` at the top, of a node, of a namespace)."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import SET_SYSCTL

KIND = KindSpec("sysctl", depends=("netns",), ops=(SET_SYSCTL,), diff=diff)
