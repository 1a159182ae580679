"""Capture and the node's nftables tables: none is captured. A lab's table (`inet topo-LAB`)
is what its own file's `services:` and `policies:` make; another tool's (kube-proxy's, a
firewall's) holds rules topo does not model. Each is named in the captured file's header as
left out, so a reader knows the machine's NAT and filtering were not reproduced."""

from __future__ import annotations

from ...capture_core import Notes
from ...names import printable
from .read import nft
from .ruleset import table_name


def capture_notes(notes: Notes) -> None:
    ctx = nft()
    if ctx is None:
        return
    rc, out, _ = ctx.json_cmd({"nftables": [{"list": {"tables": None}}]})
    if rc != 0:
        notes.left_out.append("nftables tables: they could not be listed (`nft list tables`)")
        return
    for item in out.get("nftables", []):
        table = item.get("table")
        if not isinstance(table, dict):
            continue
        family, name = str(table.get("family")), str(table.get("name"))
        shown = f"nftables table {printable(family)} {printable(name)}"
        if family == "inet" and name.startswith(table_name("")):
            notes.left_out.append(f"{shown}: a topo lab's Services and policies (its own file declares them)")
        else:
            notes.left_out.append(f"{shown}: another tool's rules (NAT, filtering), which topo does not capture; "
                                  "Services and policies are declared as `services:` and `policies:`")
