"""Loss without sch_netem: a random drop in the lab's own nftables table of the namespace,
`netdev topo-LAB-impair`, one base chain per device with one rule,
`numgen random mod 1000000 < N drop` (N: millionths, the percentage to four places).

Where the packets go: a veth end's loss is dropped on the ingress hook of its peer (what the
end sends is what the peer receives), so that the sender sees a lost packet as lost and not
as a local drop (a drop on the egress hook fails the sender's send with ENOBUFS, and ping or
TCP send it again); an interface whose other side topo does not know (a macvlan, a vxlan) is
dropped from on its own egress hook. The table carries the lab's mark: a regular chain `topo`
whose one rule has the comment `topo:LAB` (the mark of the lab's links)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...model import EndRef, Place, Topology
from .model import Impaired

FAMILY = "netdev"
SCALE = 1_000_000  # numgen's modulus: a percentage to four decimal places
MARK_CHAIN = "topo"
_ID = {"family": FAMILY}


def table_name(lab: str) -> str:
    return f"topo-{lab}-impair"


def lab_of_table(name: str) -> str | None:
    """The lab whose drop table `name` is (`topo-LAB-impair`), or None: not one of topo's."""
    head, tail = "topo-", "-impair"
    if name.startswith(head) and name.endswith(tail) and len(name) > len(head) + len(tail):
        return name[len(head):-len(tail)]
    return None


def mark(lab: str) -> str:
    return f"topo:{lab}"


@dataclass(frozen=True, order=True)
class DropChain:
    """A base chain dropping `millionths` of the packets on `device`'s `hook`."""

    device: str
    hook: str  # "ingress" or "egress"
    millionths: int

    @property
    def name(self) -> str:
        return f"{self.hook}-{self.device}"

    @property
    def percent(self) -> float:
        return self.millionths * 100 / SCALE


def millionths(percent: float) -> int:
    return round(percent * SCALE / 100)


def drop_point(topo: Topology, imp: Impaired) -> tuple[Place, str, str]:
    """(namespace, device, hook) where `imp`'s loss is dropped."""
    end = EndRef(imp.place, imp.ifname)
    for pair in topo.veths:
        if end in (pair.a, pair.b):
            peer = pair.b if end == pair.a else pair.a
            return peer.place, peer.ifname, "ingress"
    return imp.place, imp.ifname, "egress"


def sender(topo: Topology, place: Place, chain: DropChain) -> EndRef:
    """Whose sending a drop chain of `place` impairs (drop_point's inverse): the peer of the veth
    end it drops on the ingress of, else its own device."""
    end = EndRef(place, chain.device)
    if chain.hook == "ingress":
        for pair in topo.veths:
            if end in (pair.a, pair.b):
                return pair.b if end == pair.a else pair.a
    return end


def wanted(topo: Topology, imps: list[Impaired]) -> dict[Place, dict[str, tuple[DropChain, Impaired]]]:
    """Each namespace's drop chains by name, and the impairment each one carries."""
    out: dict[Place, dict[str, tuple[DropChain, Impaired]]] = {}
    for imp in imps:
        if imp.impairment.loss is None or not imp.impairment.loss.percent:
            continue
        place, device, hook = drop_point(topo, imp)
        chain = DropChain(device, hook, millionths(imp.impairment.loss.percent))
        out.setdefault(place, {})[chain.name] = (chain, imp)
    return out


def _chain_obj(lab: str, chain: DropChain) -> dict[str, Any]:
    return {"chain": {**_ID, "table": table_name(lab), "name": chain.name, "type": "filter", "hook": chain.hook,
                      "dev": chain.device, "prio": 0, "policy": "accept"}}


def _rule_obj(lab: str, chain: str, exprs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rule": {**_ID, "table": table_name(lab), "chain": chain, "comment": mark(lab), "expr": exprs}}


def drop_exprs(n: int) -> list[dict[str, Any]]:
    return [{"match": {"op": "<", "left": {"numgen": {"mode": "random", "mod": SCALE, "offset": 0}}, "right": n}}, {"drop": None}]


@dataclass(frozen=True)
class DropChange:
    """One transaction on a namespace's table: make it (with its mark), set chains anew
    (`remake`: delete them first: their device was made anew), delete
    chains, or delete the table."""

    lab: str
    create: bool = False
    set_chains: tuple[DropChain, ...] = ()
    remake: bool = False
    delete_chains: tuple[str, ...] = ()
    delete_table: bool = False

    def commands(self) -> list[dict[str, Any]]:
        t = {**_ID, "name": table_name(self.lab)}
        if self.delete_table:
            return [{"delete": {"table": t}}]
        cmds: list[dict[str, Any]] = []
        if self.create:
            cmds += [{"add": {"table": t}}, {"add": {"chain": {**_ID, "table": t["name"], "name": MARK_CHAIN}}},
                     {"add": _rule_obj(self.lab, MARK_CHAIN, [{"accept": None}])}]
        for name in self.delete_chains:
            ref = {**_ID, "table": t["name"], "name": name}
            cmds += [{"flush": {"chain": ref}}, {"delete": {"chain": ref}}]
        for chain in self.set_chains:
            ref = {**_ID, "table": t["name"], "name": chain.name}
            if self.remake:  # made sure of, then deleted: its device was made anew
                cmds += [{"add": _chain_obj(self.lab, chain)}, {"flush": {"chain": ref}}, {"delete": {"chain": ref}}]
            cmds += [{"add": _chain_obj(self.lab, chain)}, {"flush": {"chain": ref}},
                     {"add": _rule_obj(self.lab, chain.name, drop_exprs(chain.millionths))}]
        return cmds


@dataclass(frozen=True)
class DropTable:
    """The lab's table in one namespace as the kernel has it: its base chains (None: a chain
    whose rules are not one drop of topo's), and whether it carries the lab's mark."""

    chains: dict[str, DropChain | None]
    marked: bool


def read_table(listing: dict[str, Any], lab: str) -> DropTable | None:
    """The table from `nft -j list table netdev NAME` output (None: not in the listing)."""
    items = listing.get("nftables") or []
    if not any(i.get("table", {}).get("name") == table_name(lab) for i in items):
        return None
    hooks: dict[str, str] = {}
    rules: dict[str, list[dict[str, Any]]] = {}
    marked = False
    for item in items:
        if "chain" in item and "hook" in item["chain"]:
            hooks[item["chain"]["name"]] = str(item["chain"]["hook"])
        elif "rule" in item:
            r = item["rule"]
            marked = marked or r.get("comment") == mark(lab)
            rules.setdefault(r["chain"], []).append(r)
    return DropTable({name: _drop(name, hook, rules.get(name, [])) for name, hook in hooks.items()}, marked)


def _drop(name: str, hook: str, rules: list[dict[str, Any]]) -> DropChain | None:
    prefix = f"{hook}-"
    if len(rules) != 1 or not name.startswith(prefix):
        return None
    exprs = rules[0].get("expr") or []
    try:
        match = exprs[0]["match"]
        gen = match["left"]["numgen"]
        ok = match["op"] == "<" and gen["mode"] == "random" and gen["mod"] == SCALE and gen.get("offset", 0) == 0 \
            and len(exprs) == 2 and "drop" in exprs[1]
    except (KeyError, IndexError, TypeError):
        return None
    return DropChain(name[len(prefix):], hook, int(match["right"])) if ok else None
