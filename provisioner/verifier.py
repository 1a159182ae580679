"""Verifier: after an apply, read the kernel again and plan again; nothing may be left to do."""

from __future__ import annotations

from .live import LiveState
from .model import Topology
from .planner import Plan, make_plan
from .state import LabRecord


def verify(topo: Topology, node: str, live: LiveState, record: LabRecord) -> Plan:
    """The plan that would still be needed; empty when the node converged to `topo`."""
    return make_plan(topo, node, live, record)
