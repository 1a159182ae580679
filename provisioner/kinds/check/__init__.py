"""Checks (`checks:`): expectations `topo check` tests (reach, connect, resolve). Nothing is
planned for them."""

from ...core.registry import KindSpec

KIND = KindSpec("check", depends=("process",))
