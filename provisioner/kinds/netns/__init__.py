"""Network namespaces (`namespaces:`): made, adopted and deleted; the lab's are the ones its
record lists. Everything inside a lab namespace is the lab's."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import ADOPT_NETNS, CREATE_NETNS, DELETE_NETNS

KIND = KindSpec("netns", ops=(DELETE_NETNS, CREATE_NETNS, ADOPT_NETNS), diff=diff)
