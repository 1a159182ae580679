"""Ownership record of a lab on this node: /var/lib/topo/labs/LAB.json.

Links carry an in-kernel mark (their alias, `topo:LAB`). Namespaces, routes in the node's
root namespace and the original values of sysctls cannot be marked in the kernel, so the
record keeps them. It is written (atomically) before objects are created, so an
interrupted apply leaves a record that still covers everything it made.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator

from .diagnostics import TopoError
from .hostsfile import remove_stale_temporaries, write_atomic
from .core.keys import RouteKey
from .names import control_problem, inside, lab_name_problem, namespace_name_problem, printable, sysctl_key_problem
from .roots import Roots

RECORD_VERSION = 3
"""1: the first release's records. 2: adds `netns_ids` (each namespace's identity when topo
last saw it as the lab's). 3: root routes as `{"dst", "metric"}` objects (typed keys) instead
of the text `|DESTINATION|METRIC`. Older records are read (their route texts migrated) and
written as 3."""

_ROUTE_KEY = re.compile(r"\|([0-9a-fA-F.:]+/[0-9]{1,3})\|([0-9]{1,10})")
"""A root route's key in a record of version 1 or 2: `|DESTINATION|METRIC`."""


class CorruptRecord(TopoError):
    """A lab's record on disk is not a record topo wrote: nothing is done on its word."""

    def __init__(self, lab: str, path: Path, reason: str):
        super().__init__(
            f"error: the lab record {path} is not valid: {reason}\n"
            f"  hint: topo will not act on it. `topo destroy --lab {lab} --from-kernel` removes what the kernel's "
            f"marks (topo:{lab}) say is the lab's and then the record; or restore the file from a backup")
        self.lab = lab
        self.path = path


def check_lab_name(name: str) -> str:
    """`name`, if it is a valid lab name (whatever it comes from), else a TopoError."""
    if err := lab_name_problem(name):
        raise TopoError(f"error: {err}")
    return name


ALIAS_PREFIX = "topo:"


def alias_for(lab: str) -> str:
    """The mark (IFLA_IFALIAS) on every link topo creates for `lab`."""
    return f"{ALIAS_PREFIX}{lab}"


@dataclass(frozen=True)
class BridgeOriginal:
    """A root bridge the lab does not own, as it was before the lab's first port joined it:
    what the kernel changes as ports come and go (its MAC, taken from the ports and all zeros
    once the last leaves; its MTU, the ports' smallest and 1500 once none is left)."""

    mac: str
    mtu: int


_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")


def _original(raw: Any) -> BridgeOriginal | None:
    """A bridge's original as a record holds it, or None when it is not one topo writes."""
    if not isinstance(raw, dict) or set(raw) != {"mac", "mtu"}:
        return None
    mac, mtu = raw["mac"], raw["mtu"]
    if not isinstance(mac, str) or not _MAC.fullmatch(mac) or mac == "00:00:00:00:00:00":
        return None
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not 68 <= mtu <= 65535:
        return None
    return BridgeOriginal(mac, mtu)


@dataclass
class LabRecord:
    lab: str
    node: str
    namespaces: list[str] = field(default_factory=list)
    root_routes: list[RouteKey] = field(default_factory=list)  # the root namespace's routes the lab made
    sysctls: dict[str, str | None] = field(default_factory=dict)  # root-namespace originals
    source: str | None = None
    version: int = RECORD_VERSION
    netns_ids: dict[str, int] = field(default_factory=dict)  # namespace -> nsfs inode when last seen as the lab's
    uses: list[str] = field(default_factory=list)  # root links of other labs the file declares: handed over when they go
    bridges: dict[str, BridgeOriginal] = field(default_factory=dict)  # others' root bridges given ports: as before them
    # kind -> what it last found equal to the file, as the kind fingerprints it (the file's part
    # and the kernel's): the same pair again needs no comparison as values
    verified: dict[str, str] = field(default_factory=dict)
    root_rules: list[dict[str, Any]] = field(default_factory=list)  # the root namespace's rules the lab made (kinds/rule)
    stage: str | None = None  # the lesson stage (lesson.py) the last verified apply brought the lab to

    def copy(self) -> "LabRecord":
        return LabRecord(self.lab, self.node, list(self.namespaces), list(self.root_routes), dict(self.sysctls),
                         self.source, self.version, dict(self.netns_ids), list(self.uses), dict(self.bridges),
                         dict(self.verified), [dict(r) for r in self.root_rules], self.stage)


def labs_dir(roots: Roots) -> Path:
    return roots.state / "labs"


def record_path(roots: Roots, lab: str) -> Path:
    return inside(labs_dir(roots), f"{check_lab_name(lab)}.json")


def _problems(data: Any, lab: str) -> Iterator[str]:
    """Why `data` is not a record of `lab` as topo writes them (schemas/record.schema.json)."""
    if not isinstance(data, dict):
        yield f"it holds {type(data).__name__}, not an object"
        return
    if extra := sorted(set(data) - _FIELDS):
        yield f"unknown field {printable(str(extra[0]))}"
    if data.get("lab") != lab:
        yield f"it names lab {printable(str(data.get('lab')))}, not {lab}"
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= RECORD_VERSION:
        yield f"version {printable(str(version))} is not one this topo reads (1 to {RECORD_VERSION})"
    node = data.get("node", "")
    if not isinstance(node, str) or (node and (err := lab_name_problem(node))):
        yield f"node: {err if isinstance(node, str) else 'not a string'}"
    spaces = data.get("namespaces", [])
    if not isinstance(spaces, list):
        yield "namespaces is not a list"
    else:
        yield from (f"namespaces: {err}" for n in spaces if (err := namespace_name_problem(n)))
    routes = data.get("root_routes", [])
    if not isinstance(routes, list) or not all(_route_key(r) is not None for r in routes):
        yield "root_routes is not a list of route keys ({dst, metric}, or |DESTINATION|METRIC before version 3)"
    if not _rules_ok(data.get("root_rules", [])):
        yield "root_rules is not a list of rules ({family, priority, table, ...})"
    sysctls = data.get("sysctls", {})
    if not isinstance(sysctls, dict):
        yield "sysctls is not an object"
    else:
        for key, value in sysctls.items():
            if err := sysctl_key_problem(key):
                yield f"sysctls: {err}"
            elif value is not None and (not isinstance(value, str) or len(value) > 256
                                        or control_problem("a value", value.replace("\t", " "))):
                yield f"sysctls.{key}: not a value topo writes"
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        yield "source is not a string"
    stage = data.get("stage")
    if stage is not None and (not isinstance(stage, str) or lab_name_problem(stage) is not None):
        yield "stage is not a stage name"
    from .kinds.buildctx import valid_ifname

    uses = data.get("uses", [])
    if not isinstance(uses, list) or not all(isinstance(u, str) and valid_ifname(u) is None for u in uses):
        yield "uses is not a list of link names"
    bridges = data.get("bridges", {})
    if not isinstance(bridges, dict) or not all(
            isinstance(k, str) and valid_ifname(k) is None and _original(v) is not None for k, v in bridges.items()):
        yield "bridges is not an object of link names to their original {mac, mtu}"
    verified = data.get("verified", {})
    if not isinstance(verified, dict) or not all(
            isinstance(k, str) and _KIND_NAME.fullmatch(k) and isinstance(v, str) and _VERIFIED.fullmatch(v)
            for k, v in verified.items()):
        yield "verified is not an object of kind names to fingerprints (hex:hex)"
    ids = data.get("netns_ids", {})
    if not isinstance(ids, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0 for k, v in ids.items()):
        yield "netns_ids is not an object of namespace inodes"


_FIELDS = frozenset(f.name for f in fields(LabRecord))
_KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_VERIFIED = re.compile(r"[0-9a-f]{64}:[0-9a-f]{64}")


def _rules_ok(raw: Any) -> bool:
    from .kinds.rule.model import Rule

    try:
        return isinstance(raw, list) and all(Rule.from_record(r) is not None for r in raw)
    except (TypeError, ValueError):
        return False


def _route_key(raw: Any) -> RouteKey | None:
    """A root route key as a record holds it (either form), or None when it is not one."""
    if isinstance(raw, str) and not _ROUTE_KEY.fullmatch(raw):
        return None
    try:
        key = RouteKey.from_record(None, raw)
    except ValueError:
        return None
    return key if key.metric < 2**32 and key.table < 2**32 else None


def _read_private(path: Path) -> bytes:
    """A file topo wrote: opened without following a link, a regular file, at most 16 MiB."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        data = os.read(fd, MAX_RECORD_BYTES + 1)
        if len(data) > MAX_RECORD_BYTES:
            raise ValueError(f"over {MAX_RECORD_BYTES // 1048576} MiB")
        return data
    finally:
        os.close(fd)


MAX_RECORD_BYTES = 16 * 1024 * 1024


def load_record(roots: Roots, lab: str) -> LabRecord | None:
    """The lab's record, checked like a file from anyone: None when there is none,
    CorruptRecord when it is not one topo would have written."""
    path = record_path(roots, lab)
    try:
        raw = _read_private(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CorruptRecord(lab, path, "it is a symbolic link") from None
        raise CorruptRecord(lab, path, exc.strerror or str(exc)) from None
    except ValueError as exc:
        raise CorruptRecord(lab, path, str(exc)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptRecord(lab, path, f"not JSON ({exc})") from None
    for problem in _problems(data, lab):
        raise CorruptRecord(lab, path, problem)
    version = data.get("version", 1)  # as read: the planner trusts a version-1 record's namespaces
    return LabRecord(
        lab=lab,
        node=data.get("node", ""),
        namespaces=list(data.get("namespaces", [])),
        root_routes=[k for r in data.get("root_routes", []) if (k := _route_key(r)) is not None],
        sysctls=dict(data.get("sysctls", {})),
        source=data.get("source"),
        version=version,
        netns_ids={k: v for k, v in data.get("netns_ids", {}).items() if k in data.get("namespaces", [])},
        uses=list(data.get("uses", [])),
        bridges={k: o for k, v in data.get("bridges", {}).items() if (o := _original(v)) is not None},
        verified=dict(data.get("verified", {})),
        root_rules=list(data.get("root_rules", [])),
        stage=data.get("stage"),
    )


def save_record(roots: Roots, record: LabRecord) -> None:
    from .netns import netns_inode

    path = record_path(roots, record.lab)
    ensure_private_dir(path.parent)
    record.namespaces = sorted(set(record.namespaces))
    record.root_routes = sorted(set(record.root_routes), key=RouteKey.order)
    record.version = RECORD_VERSION
    # each namespace's identity as it is now: the planner has just proven these are the lab's
    # (or made them), and a later run acts only on a namespace with the same identity
    ids = {n: netns_inode(roots.netns_run, n, pinned=True) for n in record.namespaces}
    record.netns_ids = {n: i for n, i in ids.items() if i is not None}
    data = {**asdict(record), "root_routes": [k.to_record() for k in record.root_routes]}
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def ensure_private_dir(path: Path) -> None:
    """`path` (and its parents) as directories only root can read: 0700, not a symbolic link."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise TopoError(f"error: {path} is not a directory (a symbolic link or a file is in its place); topo will not write there")
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)


def set_record_aside(roots: Roots, lab: str) -> Path | None:
    """Keep a corrupt record as LAB.json.corrupt (no longer a record) for whoever looks into it."""
    path = record_path(roots, lab)
    aside = path.with_name(path.name + ".corrupt")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return None
    return aside


def delete_record(roots: Roots, lab: str) -> None:
    path = record_path(roots, lab)
    path.unlink(missing_ok=True)
    remove_stale_temporaries(path)  # of a save that a killed run left behind


def list_records(roots: Roots) -> list[str]:
    """The labs that have a record here (files whose names are not a lab's are not records)."""
    try:
        return sorted(p.stem for p in labs_dir(roots).glob("*.json") if lab_name_problem(p.stem) is None)
    except FileNotFoundError:
        return []
