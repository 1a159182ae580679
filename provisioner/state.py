"""Ownership record of a lab on this node: /var/lib/topo/labs/LAB.json.

Links carry an in-kernel mark (their alias, `topo:LAB`). Namespaces, routes in the node's
root namespace and the original values of sysctls cannot be marked in the kernel, so the
record keeps them. It is written (atomically) before objects are created, so an
interrupted apply leaves a record that still covers everything it made.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .hostsfile import remove_stale_temporaries, write_atomic

STATE_DIR = Path(os.environ.get("TOPO_STATE_DIR", "/var/lib/topo"))
RECORD_VERSION = 1


def alias_for(lab: str) -> str:
    """The mark (IFLA_IFALIAS) on every link topo creates for `lab`."""
    return f"topo:{lab}"


@dataclass
class LabRecord:
    lab: str
    node: str
    namespaces: list[str] = field(default_factory=list)
    root_routes: list[str] = field(default_factory=list)  # route keys, see planner.route_key
    sysctls: dict[str, str | None] = field(default_factory=dict)  # root-namespace originals
    source: str | None = None
    version: int = RECORD_VERSION

    def copy(self) -> "LabRecord":
        return LabRecord(self.lab, self.node, list(self.namespaces), list(self.root_routes), dict(self.sysctls),
                         self.source, self.version)


def record_path(lab: str) -> Path:
    return STATE_DIR / "labs" / f"{lab}.json"


def load_record(lab: str) -> LabRecord | None:
    try:
        data = json.loads(record_path(lab).read_text())
    except FileNotFoundError:
        return None
    return LabRecord(
        lab=data["lab"],
        node=data.get("node", ""),
        namespaces=list(data.get("namespaces", [])),
        root_routes=list(data.get("root_routes", [])),
        sysctls=dict(data.get("sysctls", {})),
        source=data.get("source"),
        version=data.get("version", RECORD_VERSION),
    )


def save_record(record: LabRecord) -> None:
    path = record_path(record.lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    record.namespaces = sorted(set(record.namespaces))
    record.root_routes = sorted(set(record.root_routes))
    write_atomic(path, json.dumps(asdict(record), indent=2, sort_keys=True) + "\n", mode=0o600)


def delete_record(lab: str) -> None:
    record_path(lab).unlink(missing_ok=True)
    remove_stale_temporaries(record_path(lab))  # of a save that a killed run left behind


def list_records() -> list[str]:
    try:
        return sorted(p.stem for p in (STATE_DIR / "labs").glob("*.json"))
    except FileNotFoundError:
        return []
