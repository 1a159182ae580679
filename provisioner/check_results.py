"""The last results of `topo check`, kept per lab under the state root
(/var/lib/topo/checks/LAB.json), for the live page (`topo ui`) to show."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .hostsfile import write_atomic
from .roots import Roots
from .names import inside
from .state import check_lab_name, ensure_private_dir


def _path(roots: Roots, lab: str) -> Path:
    return inside(roots.state / "checks", f"{check_lab_name(lab)}.json")


def save_results(roots: Roots, lab: str, results: dict[str, Any]) -> None:
    """Keep `results` (render.checks.to_json's document) as the lab's last, with the time they were taken."""
    ensure_private_dir(roots.state / "checks")
    write_atomic(_path(roots, lab), json.dumps({**results, "ran_at": time.time()}, indent=1) + "\n", mode=0o600)


def last_results(roots: Roots, lab: str) -> dict[str, Any] | None:
    """The lab's last check results, or None when `topo check` has not run (or its file is unreadable)."""
    try:
        doc = json.loads(_path(roots, lab).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("checks"), list) else None


def forget_results(roots: Roots, lab: str) -> None:
    """The lab's check results go with the lab (destroy)."""
    _path(roots, lab).unlink(missing_ok=True)
