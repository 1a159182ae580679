"""The lab's table in nftables' JSON: the commands that make or change it (one transaction),
and the table as `nft -j list table` gives it back, read into the same data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .ruleset import FAMILY, Chain, Hook, Map, Table, comment, rule, table_name

_ID = {"family": FAMILY}


@dataclass(frozen=True)
class TableChange:
    """What turns the table the kernel has into the file's: chains to add, to set anew (flush
    and add their rules: other chains keep their rules and handles), to delete; map elements to
    add and delete. `create`: the table itself is missing."""

    create: bool = False
    add_chains: tuple[Chain, ...] = ()
    set_chains: tuple[Chain, ...] = ()
    delete_chains: tuple[str, ...] = ()
    add_maps: tuple[Map, ...] = ()
    add_elements: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    delete_elements: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    delete_maps: tuple[str, ...] = ()

    @classmethod
    def whole(cls, table: Table) -> "TableChange":
        """Making the table with everything in it."""
        return cls(create=True, add_chains=tuple(table.chains.values()), add_maps=tuple(table.maps.values()),
                   add_elements=tuple((m.name, tuple(sorted(m.elements))) for m in table.maps.values()))

    def plus(self, other: "TableChange") -> "TableChange":
        return TableChange(self.create or other.create, self.add_chains + other.add_chains, self.set_chains + other.set_chains,
                           self.delete_chains + other.delete_chains, self.add_maps + other.add_maps,
                           self.add_elements + other.add_elements, self.delete_elements + other.delete_elements,
                           self.delete_maps + other.delete_maps)


def _chain_obj(table: str, chain: Chain) -> dict[str, Any]:
    obj: dict[str, Any] = {**_ID, "table": table, "name": chain.name}
    if chain.hook is not None:
        obj.update(type=chain.hook.type, hook=chain.hook.hook, prio=chain.hook.prio, policy=chain.hook.policy)
    return {"chain": obj}


def _rule_obj(table: str, chain: Chain, text: str, mark: str) -> dict[str, Any]:
    obj = {**_ID, "table": table, "chain": chain.name, "expr": json.loads(text)}
    if chain.hook is not None:
        obj["comment"] = mark  # the lab's mark, on the rules of its hooks (a table's own comment is not in nft's JSON)
    return {"rule": obj}


def _elements(table: str, name: str, elements: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {"element": {**_ID, "table": table, "name": name,
                        "elem": [[json.loads(k), {"goto": {"target": target}}] for k, target in elements]}}


def commands(lab: str, change: TableChange) -> list[dict[str, Any]]:
    """One transaction, in the order nftables needs: chains exist before rules and elements
    name them; what names a chain goes before the chain."""
    t = table_name(lab)
    cmds: list[dict[str, Any]] = []
    if change.create:
        cmds.append({"add": {"table": {**_ID, "name": t}}})
    cmds += [{"add": _chain_obj(t, c)} for c in change.add_chains]
    cmds += [{"add": {"map": {**_ID, "table": t, "name": m.name, "type": list(m.type), "map": "verdict"}}}
             for m in change.add_maps]
    cmds += [{"delete": _elements(t, name, elems)} for name, elems in change.delete_elements if elems]
    cmds += [{"delete": {"map": {**_ID, "table": t, "name": name}}} for name in change.delete_maps]
    cmds += [{"flush": {"chain": {**_ID, "table": t, "name": name}}} for name in change.delete_chains]
    cmds += [{"flush": {"chain": {**_ID, "table": t, "name": c.name}}} for c in change.set_chains]
    cmds += [{"add": _rule_obj(t, c, r, comment(lab))} for c in change.add_chains + change.set_chains for r in c.rules]
    cmds += [{"add": _elements(t, name, elems)} for name, elems in change.add_elements if elems]
    cmds += [{"delete": {"chain": {**_ID, "table": t, "name": name}}} for name in change.delete_chains]
    return cmds


def delete_table(lab: str) -> list[dict[str, Any]]:
    return [{"delete": {"table": {**_ID, "name": table_name(lab)}}}]


_RULE_META = {"family", "table", "chain", "handle", "comment", "index"}


def read_table(listing: dict[str, Any], name: str) -> tuple[Table, set[str]] | None:
    """The table `name` of family inet from `nft -j list table` output, and the comments of its
    rules (the marks); None when it is not there."""
    items = listing.get("nftables") or []
    found = [i["table"] for i in items if "table" in i and i["table"].get("family") == FAMILY and i["table"].get("name") == name]
    if not found:
        return None
    table = Table()
    rules: dict[str, list[str]] = {}
    hooks: dict[str, Hook | None] = {}
    marks: set[str] = set()
    for item in items:
        if "chain" in item:
            c = item["chain"]
            hooks[c["name"]] = Hook(c["type"], c["hook"], int(c["prio"]), c.get("policy", "accept")) if "hook" in c else None
            rules.setdefault(c["name"], [])
        elif "rule" in item:
            r = item["rule"]
            rules.setdefault(r["chain"], []).append(rule(*r["expr"]))
            if isinstance(r.get("comment"), str):
                marks.add(r["comment"])
        elif "map" in item:
            m = item["map"]
            elems = frozenset((json.dumps(k, sort_keys=True, separators=(",", ":")), _target(v)) for k, v in m.get("elem") or [])
            mtype = m["type"] if isinstance(m["type"], list) else [m["type"]]
            table.maps[m["name"]] = Map(m["name"], tuple(mtype), elems)
    for cname, hook in hooks.items():
        table.add(Chain(cname, tuple(rules.get(cname, ())), hook))
    return table, marks


def _target(verdict: Any) -> str:
    """A map element's verdict: `goto CHAIN` (anything else cannot be the lab's: kept as text)."""
    if isinstance(verdict, dict) and "goto" in verdict:
        return str(verdict["goto"].get("target"))
    return json.dumps(verdict, sort_keys=True)
