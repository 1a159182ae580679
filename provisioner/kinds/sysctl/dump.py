"""Sysctls in a topology file: the `sysctls:` mapping of a namespace, a node or the top level
(what every node's root namespace has in common)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...model import Netns

if TYPE_CHECKING:
    from ...dump import Data

_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


def values(ns: Netns) -> dict[str, str]:
    return ns.sysctls


def section(sysctls: dict[str, str]) -> Data:
    return {"sysctls": {k: value(v) for k, v in sysctls.items()}} if sysctls else {}


def value(text: str) -> int | str:
    """The model keeps sysctl values as text; a plain integer is written as one (`1`, not `'1'`)."""
    return int(text) if _CANONICAL_INT.fullmatch(text) else text
