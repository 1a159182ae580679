"""Checkpoints for `topo apply --rollback`.

After an apply has verified, topo keeps the rendered file it applied beside the lab's
ownership record (/var/lib/topo/labs/LAB.applied.yaml, written atomically): the lab's last
verified state. When an action or the verification of a later `apply --rollback` fails,
topo plans from the live state back to that checkpoint and runs that plan, as nmstate rolls
back to its checkpoint; a lab that the failed apply created is removed instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import state
from .hostsfile import write_atomic
from .safefs import opened_dir, read_bytes, regular_file
from .model import Topology
from .planner import empty_topology
from .roots import Roots


class NoCheckpoint(Exception):
    """The lab exists but its last verified state is unknown: rolling back would be a guess."""


def checkpoint_path(roots: Roots, lab: str) -> Path:
    return state.record_path(roots, lab).with_suffix(".applied.yaml")


def save_checkpoint(roots: Roots, lab: str, rendered: str) -> None:
    path = checkpoint_path(roots, lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, rendered, mode=0o600)


def load_checkpoint(roots: Roots, lab: str) -> str | None:
    """The checkpoint's text, never read through a link (UnsafePath for one)."""
    path = checkpoint_path(roots, lab)
    try:
        with opened_dir(path.parent) as dir_fd:
            return read_bytes(dir_fd, path.name, path).decode()
    except FileNotFoundError:
        return None


def delete_checkpoint(roots: Roots, lab: str) -> None:
    """Remove the checkpoint topo wrote (a regular file); a link or other file there stays
    (UnsafePath says so)."""
    path = checkpoint_path(roots, lab)
    try:
        with opened_dir(path.parent) as dir_fd:
            if regular_file(dir_fd, path.name, path) is not None:
                os.unlink(path.name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def checkpoint_topology(roots: Roots, lab: str, node: str, existed: bool) -> Topology:
    """The state to roll back to: the last verified apply, or nothing for a lab this run created."""
    from .validate import validate_document
    from .loader import load_text

    text = load_checkpoint(roots, lab)
    if text is None:
        if existed:
            raise NoCheckpoint(f"lab {lab} has no checkpoint of a verified apply to roll back to")
        return empty_topology(lab, node)
    result = validate_document(load_text(str(checkpoint_path(roots, lab)), text))
    if result.topology is None or node not in result.topology.nodes:
        raise NoCheckpoint(f"the checkpoint {checkpoint_path(roots, lab)} no longer describes node {node}")
    return result.topology
