"""Semantic checks the JSON Schema cannot express, run on the desired model.

Each kind's checks are its builder's `check(topo, sink)` (`provisioner/kinds/<kind>/build.py`);
they run in registry order (validation sorts the diagnostics by place).
"""

from __future__ import annotations

from .diagnostics import DiagnosticSink
from .model import Topology

def run_checks(topo: Topology, sink: DiagnosticSink) -> None:
    from .kinds.registry import REGISTRY

    for kind in REGISTRY.modules("build"):
        if hasattr(kind, "check"):
            kind.check(topo, sink)
