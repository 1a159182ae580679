"""The lab's nftables table as the kernel has it. Facts only: nothing is changed.

Two reads: its fingerprint, straight from nf_tables over netlink (nfdigest.py: cheap, always
taken), and the table as values, through libnftables' JSON API (Debian's python3-nftables:
the library `nft` itself is built on), taken only when the diff asks for it: when the
fingerprint is not the one the lab's record says was last found equal to the file's."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from .nfdigest import fingerprint
from .nftjson import read_table
from .ruleset import FAMILY, Table, table_name


@dataclass(frozen=True)
class Listing:
    table: Table | None = None  # the table named topo-LAB, if there is one
    marks: frozenset[str] = frozenset()  # the comments on its rules: topo:LAB when it is the lab's
    error: str | None = None  # why it could not be read


class TableReader:
    """The table as values, read through libnftables on first use and kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listing: Listing | None = None

    @classmethod
    def holding(cls, listing: Listing) -> "TableReader":
        """A reader that already has its answer (tests, and facts made elsewhere)."""
        reader = cls("")
        reader._listing = listing
        return reader

    def get(self) -> Listing:
        if self._listing is None:
            self._listing = _list(self.name)
        return self._listing


@dataclass(frozen=True)
class NftFacts:
    available: bool  # libnftables and its Python binding are installed
    # the table's fingerprint; None: there is no such table; "": it could not be taken
    fingerprint: str | None = None
    reader: TableReader | None = field(default=None, compare=False)

    @classmethod
    def listed(cls, table: Table | None, marks: frozenset[str] = frozenset(), error: str | None = None) -> "NftFacts":
        """Facts of a table known as values, with no fingerprint to go by."""
        return cls(True, "" if table is not None or error else None, TableReader.holding(Listing(table, marks, error)))

    def listing(self) -> Listing:
        return self.reader.get() if self.reader is not None and self.fingerprint is not None else Listing()

    @property
    def table(self) -> Table | None:
        return self.listing().table

    @property
    def marks(self) -> frozenset[str]:
        return self.listing().marks

    @property
    def error(self) -> str | None:
        return self.listing().error


def nft() -> Any:
    """A libnftables context with JSON in and out (None when it is not installed)."""
    try:
        import nftables  # type: ignore[import-not-found]
    except ImportError:
        return None
    ctx = nftables.Nftables()
    ctx.set_json_output(True)
    ctx.set_handle_output(True)
    return ctx


def read(pool: Any, lab: str, namespaces: Any = ()) -> NftFacts:
    """The node's table of the lab (read in the root namespace, where the engine runs)."""
    if importlib.util.find_spec("nftables") is None:
        return NftFacts(False)
    name = table_name(lab)
    try:
        found = fingerprint(name)
    except OSError:  # nf_tables not reachable over netlink here: libnftables will say
        found = ""
    return NftFacts(True, found if found is not None else None, TableReader(name))


def _list(name: str) -> Listing:
    ctx = nft()
    if ctx is None:
        return Listing(error="libnftables is not installed")
    rc, out, err = ctx.json_cmd({"nftables": [{"list": {"tables": None}}]})
    if rc != 0:
        return Listing(error=(err or "nft list tables failed").strip())
    if not any(i.get("table", {}).get("family") == FAMILY and i["table"].get("name") == name for i in out.get("nftables", [])):
        return Listing()
    rc, out, err = ctx.json_cmd({"nftables": [{"list": {"table": {"family": FAMILY, "name": name}}}]})
    found = read_table(out, name) if rc == 0 else None
    if found is None:
        return Listing(error=(err or f"table {FAMILY} {name} could not be listed").strip())
    table, marks = found
    return Listing(table, frozenset(marks))
