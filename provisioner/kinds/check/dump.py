"""Checks in a topology file: the top-level `checks:`; a check leaves out the name topo would give
it and the default timeout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...desired import _check_label  # the name a check gets when the file gives none
from ...model import Check

if TYPE_CHECKING:
    from ...dump import Data, DumpContext

DEFAULT_TIMEOUT = 2.0


def document(ctx: DumpContext) -> Data:
    return {"checks": [check(c) for c in ctx.topo.checks]} if ctx.topo.checks else {}


def check(check: Check) -> Data:
    origin = check.place.netns if check.place.netns is not None else check.place.node
    port = check.port if not check.resolve else None
    out: Data = {}
    if check.name != _check_label(origin, check.target, port, check.resolve, check.expect_success):
        out["name"] = check.name
    out["from"] = origin
    if check.resolve:
        out["resolve"] = check.target
        if check.address is not None:
            out["address"] = str(check.address)
    else:
        out["to"] = check.target
        if check.port is not None:
            out["port"] = check.port
    if check.answers:
        out["answers"] = list(check.answers)
        if check.connections != 20:
            out["connections"] = check.connections
    if not check.expect_success:
        out["expect"] = "failure"
    if check.timeout != DEFAULT_TIMEOUT:
        out["timeout"] = int(check.timeout) if check.timeout.is_integer() else check.timeout
    if check.external:
        out["external"] = True
    return out
