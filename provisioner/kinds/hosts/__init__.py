"""Hosts entries (`hosts:`): a namespace's own hosts file, and a marked block of the node's
/etc/hosts for the root namespace's entries."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import REMOVE_HOSTS, WRITE_HOSTS

KIND = KindSpec("hosts", depends=("netns",), ops=(WRITE_HOSTS, REMOVE_HOSTS), diff=diff)
