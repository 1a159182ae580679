"""The lab's nftables table as the kernel has it, through libnftables' JSON API (Debian's
python3-nftables: the library `nft` itself is built on). Facts only: nothing is changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .nftjson import read_table
from .ruleset import FAMILY, Table, table_name


@dataclass(frozen=True)
class NftFacts:
    available: bool  # libnftables and its Python binding are installed
    table: Table | None = None  # the table named topo-LAB, if there is one
    marks: frozenset[str] = frozenset()  # the comments on its rules: topo:LAB when it is the lab's
    error: str | None = None  # why it could not be read


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
    ctx = nft()
    if ctx is None:
        return NftFacts(False)
    name = table_name(lab)
    rc, out, err = ctx.json_cmd({"nftables": [{"list": {"tables": None}}]})
    if rc != 0:
        return NftFacts(True, error=(err or "nft list tables failed").strip())
    if not any(i.get("table", {}).get("family") == FAMILY and i["table"].get("name") == name for i in out.get("nftables", [])):
        return NftFacts(True)
    rc, out, err = ctx.json_cmd({"nftables": [{"list": {"table": {"family": FAMILY, "name": name}}}]})
    found = read_table(out, name) if rc == 0 else None
    if found is None:
        return NftFacts(True, error=(err or f"table {FAMILY} {name} could not be listed").strip())
    table, marks = found
    return NftFacts(True, table, frozenset(marks))
