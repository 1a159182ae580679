"""Checkpoints for `topo apply --rollback`.

After an apply has verified, topo keeps the rendered file it applied beside the lab's
ownership record (/var/lib/topo/labs/LAB.applied.yaml, written atomically): the lab's last
verified state. When an action or the verification of a later `apply --rollback` fails,
topo plans from the live state back to that checkpoint and runs that plan, as nmstate rolls
back to its checkpoint; a lab that the failed apply created is removed instead.
"""

from __future__ import annotations

from pathlib import Path

from . import state
from .hostsfile import write_atomic
from .model import Topology
from .planner import empty_topology


class NoCheckpoint(Exception):
    """The lab exists but its last verified state is unknown: rolling back would be a guess."""


def checkpoint_path(lab: str) -> Path:
    return state.record_path(lab).with_suffix(".applied.yaml")


def save_checkpoint(lab: str, rendered: str) -> None:
    path = checkpoint_path(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, rendered, mode=0o600)


def load_checkpoint(lab: str) -> str | None:
    try:
        return checkpoint_path(lab).read_text()
    except FileNotFoundError:
        return None


def delete_checkpoint(lab: str) -> None:
    checkpoint_path(lab).unlink(missing_ok=True)


def checkpoint_topology(lab: str, node: str, existed: bool) -> Topology:
    """The state to roll back to: the last verified apply, or nothing for a lab this run created."""
    from .validate import validate_document
    from .loader import load_text

    text = load_checkpoint(lab)
    if text is None:
        if existed:
            raise NoCheckpoint(f"lab {lab} has no checkpoint of a verified apply to roll back to")
        return empty_topology(lab, node)
    result = validate_document(load_text(str(checkpoint_path(lab)), text))
    if result.topology is None or node not in result.topology.nodes:
        raise NoCheckpoint(f"the checkpoint {checkpoint_path(lab)} no longer describes node {node}")
    return result.topology
