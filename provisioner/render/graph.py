"""Diagrams of a topology (placeholder until the graph renderer lands)."""

from __future__ import annotations

from ..model import Topology


def render_graph(topo: Topology, fmt: str = "mermaid") -> str:
    raise NotImplementedError(fmt)
