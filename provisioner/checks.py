"""Semantic checks the JSON Schema cannot express, run on the desired model.

Each kind's checks are its builder's `check(topo, sink)` (`provisioner/kinds/<kind>/build.py`);
`CHECKS` lists the kinds that have some, in the order their diagnostics have always come in.
"""

from __future__ import annotations

from types import ModuleType

from .diagnostics import DiagnosticSink
from .kinds.check import build as check
from .kinds.link import build as link
from .kinds.route import build as route
from .kinds.veth import build as veth
from .model import Topology

CHECKS: tuple[ModuleType, ...] = (route, link, veth, check)


def run_checks(topo: Topology, sink: DiagnosticSink) -> None:
    for kind in CHECKS:
        kind.check(topo, sink)
