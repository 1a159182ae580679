"""Processes (`processes:` of a namespace): long-running commands topo starts, supervises and
stops."""

from ...core.registry import KindSpec
from .diff import diff
from .ops import START_PROCESS, STOP_PROCESS

KIND = KindSpec("process", depends=("route", "hosts"), ops=(STOP_PROCESS, START_PROCESS), diff=diff)
