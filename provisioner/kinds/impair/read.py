"""The qdiscs as the kernel has them: one RTM_GETQDISC dump per namespace (the root qdiscs
of its interfaces), and whether the kernel has sch_netem. Facts only: nothing is changed,
and no module is loaded."""

from __future__ import annotations

import gzip
import importlib.util
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ...rtnl import NLM_F_DUMP, NLM_F_REQUEST, _attrs, _cstr
from ..service.nfdigest import GETTABLE, NFPROTO_NETDEV, NfSocket
from .drop import FAMILY, DropTable, lab_of_table, read_table, table_name

RTM_NEWQDISC, RTM_DELQDISC, RTM_GETQDISC = 36, 37, 38
TCA_KIND, TCA_OPTIONS = 1, 2
TC_H_ROOT = 0xFFFFFFFF
TOPO_HANDLE = 0x7470 << 16
"""The handle of topo's qdiscs (7470:, "tp"): the kernel's defaults have 0:, tc's own pick 8001: and up."""
TCMSG = struct.Struct("=BxxxiIII")  # struct tcmsg: family, ifindex, handle, parent, info


@dataclass(frozen=True)
class RawQdisc:
    ifindex: int
    handle: int
    kind: str
    options: bytes = b""

    @property
    def ours(self) -> bool:
        return self.handle == TOPO_HANDLE

    @property
    def default(self) -> bool:
        """A qdisc the kernel gave the device (noqueue, pfifo_fast, mq): handle 0:."""
        return self.handle >> 16 == 0


@dataclass(frozen=True)
class QdiscFacts:
    netem: bool | None  # whether the kernel has sch_netem (None: cannot tell)
    roots: dict[str | None, dict[int, RawQdisc]] = field(default_factory=dict)  # namespace -> ifindex -> root qdisc
    errors: dict[str | None, str] = field(default_factory=dict)  # namespaces whose qdiscs could not be read
    drops: dict[str | None, DropTable] = field(default_factory=dict)  # namespace -> the lab's netdev table, where it has one
    others: dict[str | None, dict[str, DropTable]] = field(default_factory=dict)  # namespace -> other labs' marked tables, by lab
    nft: bool = True  # libnftables and its Python binding are installed


def parse_qdisc(data: bytes, off: int, length: int) -> tuple[int, RawQdisc]:
    """(parent, qdisc) of one RTM_NEWQDISC message."""
    _family, ifindex, handle, parent, _info = TCMSG.unpack_from(data, off + 16)
    kind, options = "", b""
    for t, a, b in _attrs(data, off + 16 + TCMSG.size, off + length):
        if t == TCA_KIND:
            kind = _cstr(data, a, b)
        elif t == TCA_OPTIONS:
            options = bytes(data[a:b])
    return parent, RawQdisc(ifindex, handle, kind, options)


def root_qdiscs(sock: Any) -> dict[int, RawQdisc]:
    out = {}
    for data, off, length in sock.exchange(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP, TCMSG.pack(0, 0, 0, 0, 0)):
        parent, qdisc = parse_qdisc(data, off, length)
        if parent == TC_H_ROOT:
            out[qdisc.ifindex] = qdisc
    return out


def read(pool: Any, lab: str, namespaces: Iterable[str] = ()) -> QdiscFacts:
    facts = QdiscFacts(netem_present(Path("/"), os.uname().release), nft=nft_available())
    for name in [None, *sorted(namespaces)]:
        if name is not None and not os.path.ismount(pool.path(name)):
            continue
        try:
            facts.roots[name] = root_qdiscs(pool.socket(name))
            if facts.nft:
                with pool.inside(name):
                    tables = drop_tables(lab)
                if lab in tables:
                    facts.drops[name] = tables.pop(lab)
                if others := {other: t for other, t in tables.items() if t.marked}:
                    facts.others[name] = others
        except OSError as exc:
            facts.errors[name] = exc.strerror or str(exc)
    return facts


def nft_available() -> bool:
    return importlib.util.find_spec("nftables") is not None


def nft() -> Any:
    """A libnftables context, JSON in and out, of the namespace the calling thread is in."""
    import nftables  # type: ignore[import-not-found]

    ctx = nftables.Nftables()
    ctx.set_json_output(True)
    return ctx


def nft_run(cmds: list[dict[str, Any]], what: str) -> dict[str, Any]:
    rc, out, err = nft().json_cmd({"nftables": cmds})
    if rc != 0:
        raise OSError(rc if rc > 0 else 22, " ".join((err or f"nftables refused to {what}").split()))
    return out if isinstance(out, dict) else {}


NFTA_TABLE_NAME = 1


def netdev_tables() -> list[str]:
    """The names of the netdev tables of the calling thread's namespace (one netlink dump)."""
    sock = NfSocket()
    try:
        return [_cstr(data, a, b) for data, pos, end in sock.raw(GETTABLE, family=NFPROTO_NETDEV)
                for t, a, b in _attrs(data, pos, end) if t == NFTA_TABLE_NAME]
    finally:
        sock.close()


def drop_tables(lab: str | None = None) -> dict[str, DropTable]:
    """The topo labs' netdev tables (`topo-LAB-impair`) of the calling thread's namespace, by lab.
    Which there are is asked over netlink first: most namespaces have none, and libnftables costs
    milliseconds a namespace; where nf_tables cannot be asked so, libnftables is asked for `lab`'s."""
    try:
        labs = [found for name in netdev_tables() if (found := lab_of_table(name)) is not None]
    except OSError:
        labs = [lab] if lab is not None else []
    out = {}
    for each in labs:
        name = table_name(each)
        found = read_table(nft_run([{"list": {"table": {"family": FAMILY, "name": name}}}], f"list table {FAMILY} {name}"), each)
        if found is not None:
            out[each] = found
    return out


def netem_present(root: Path, release: str) -> bool | None:
    """Whether the kernel has sch_netem, loaded, built in or loadable (the kernel loads a
    qdisc's module when one is made), from files only: /proc/modules, /sys/module, the module
    tree's lists, the kernel's config. None when none of them tells."""
    mods = root / "lib/modules" / release
    if _lines_start(root / "proc/modules", "sch_netem ") or (root / "sys/module/sch_netem").exists():
        return True
    for listing in ("modules.builtin", "modules.dep"):
        if _mentions(mods / listing, "/sch_netem.ko"):
            return True
    config = _config(root / "proc/config.gz") or _text(root / "boot" / f"config-{release}")
    if config is None:
        return None
    if "CONFIG_NET_SCH_NETEM=y" in config:
        return True
    if "CONFIG_NET_SCH_NETEM=m" in config:
        return None if mods.is_dir() else False  # listed nowhere above: cannot tell; no module tree: not loadable
    return False


def _text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _config(path: Path) -> str | None:
    try:
        with gzip.open(path, "rt", errors="replace") as fh:
            return str(fh.read())
    except (OSError, EOFError):
        return None


def _lines_start(path: Path, prefix: str) -> bool:
    text = _text(path)
    return text is not None and any(line.startswith(prefix) for line in text.splitlines())


def _mentions(path: Path, needle: str) -> bool:
    text = _text(path)
    return text is not None and (needle in text or needle.lstrip("/") in text.split())
