"""Services: the lab's nftables table against the file's. A table that is not there is made
in one transaction; in the lab's own table, each chain whose rules differ is set anew (flushed
and filled: the other chains keep their rules and handles), chains no longer needed go, map
elements are added and removed one by one. A table of that name without the lab's mark is
another's: a conflict, never changed.

The comparison as values needs the table listed through libnftables, which costs about what
`nft -j list table` does. So once the table is found equal to the file's, the record keeps
the pair of fingerprints (what the table is built from, the kernel's nf_tables dump): while both stay
the same, nothing can differ and nothing is listed. Any change to the table (a flushed
chain, an extra rule, a removed element, the mark) changes the kernel's fingerprint."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.plan import Change
from .nftjson import TableChange
from .ops import APPLY_TABLE, DELETE_TABLE, VERIFIED_KEY, TableAction
from .read import NftFacts
from .ruleset import FAMILY, Chain, Table, build_table, comment, inputs_fingerprint, table_name


def _label(lab: str) -> str:
    return f"nftables table {FAMILY} {table_name(lab)}"


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    lab = ctx.topo.name
    services = ctx.topo.services if ctx.node.name in _service_nodes(ctx) else []
    policies = ctx.topo.policies if ctx.node.name in _service_nodes(ctx) else []
    facts = ctx.live.facts.get("service")
    if not isinstance(facts, NftFacts):
        facts = NftFacts(False)
    if (services or policies) and not facts.available:
        out.conflict(None, _label(lab), "Services and policies need nftables: libnftables and its Python binding are not installed on "
                     f"node {ctx.node.name}", "install Debian's nftables and python3-nftables (scripts/setup.sh does)")
        return out
    built_from = inputs_fingerprint(services, policies) if services or policies else None
    token = f"{built_from}:{facts.fingerprint}" if built_from is not None and facts.fingerprint else None
    if token is not None and ctx.record.verified.get(KEY) == token:
        return out  # the very table last found equal to this file's: nothing built, nothing listed
    ctx.record.verified.pop(KEY, None)
    want = build_table(services, policies) if services or policies else None
    if facts.error is not None:
        out.conflict(None, _label(lab), f"{_label(lab)} could not be read: {facts.error}", "see `nft list tables`")
        return out
    live = facts.table
    ours = live is not None and comment(lab) in facts.marks
    if live is not None and not ours:
        if services or policies:
            out.conflict(None, _label(lab), f"{_label(lab)} exists and was not created by lab {lab}",
                         "delete it (`nft delete table inet NAME`) or rename the lab")
        return out
    if not services and not policies:
        if live is not None:
            out.add(DELETE_TABLE, Change.DELETE, None, _label(lab), TableAction(lab, TableChange()),
                    before=f"{len(live.chains)} chains")
        return out
    assert want is not None
    if live is None:
        out.add(APPLY_TABLE, Change.CREATE, None, _label(lab), TableAction(lab, TableChange.whole(want), built_from),
                after=f"{_counts(services, policies)}, {len(want.chains)} chains")
        return out
    _changes(out, lab, want, live)
    if not out.actions and token is not None:
        ctx.record.verified[KEY] = token
    return out


KEY = VERIFIED_KEY  # the kind's entry in the record's `verified`: the pair of fingerprints


def _counts(services: list, policies: list) -> str:
    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    parts = ([n(len(services), "service", "services")] if services else []) + \
        ([n(len(policies), "policy", "policies")] if policies else [])
    return ", ".join(parts)


def _service_nodes(ctx: DiffContext) -> set[str]:
    """Every node of the lab translates its Services (kube-proxy runs on every node)."""
    return set(ctx.topo.nodes)


def _changes(out: Outcome, lab: str, want: Table, live: Table) -> None:
    if any(live.chains[n].hook != c.hook for n, c in want.chains.items() if n in live.chains) or \
            any(live.maps[n].type != m.type for n, m in want.maps.items() if n in live.maps):
        # a base chain's hook or a map's type cannot change in place: the table is made anew
        out.add(DELETE_TABLE, Change.DELETE, None, _label(lab), TableAction(lab, TableChange()), before="hooks or map types differ")
        out.add(APPLY_TABLE, Change.CREATE, None, _label(lab), TableAction(lab, TableChange.whole(want)))
        return
    for name, chain in want.chains.items():
        have = live.chains.get(name)
        if have is None:
            _add(out, lab, Change.CREATE, f"chain {name}", TableChange(add_chains=(chain,)), after=_rules(chain))
        elif have.rules != chain.rules:
            _add(out, lab, Change.UPDATE, f"chain {name}", TableChange(set_chains=(chain,)), before=_rules(have),
                 after=_rules(chain))
    for name in sorted(set(live.chains) - set(want.chains)):
        _add(out, lab, Change.DELETE, f"chain {name}", TableChange(delete_chains=(name,)))
    for name, m in want.maps.items():
        have_map = live.maps.get(name)
        if have_map is None:
            _add(out, lab, Change.CREATE, f"map {name}", TableChange(add_maps=(m,), add_elements=((name, tuple(sorted(m.elements))),)),
                 after=f"{len(m.elements)} elements")
            continue
        plus, minus = tuple(sorted(m.elements - have_map.elements)), tuple(sorted(have_map.elements - m.elements))
        if plus or minus:
            _add(out, lab, Change.UPDATE, f"map {name}", TableChange(add_elements=((name, plus),), delete_elements=((name, minus),)),
                 before=", ".join(f"{k} -> {t}" for k, t in minus) or "(none removed)",
                 after=", ".join(f"{k} -> {t}" for k, t in plus) or "(none added)")
    for name in sorted(set(live.maps) - set(want.maps)):
        _add(out, lab, Change.DELETE, f"map {name}", TableChange(delete_maps=(name,)))


def _rules(chain: Chain) -> str:
    return f"{len(chain.rules)} rule{'s' if len(chain.rules) != 1 else ''}"


def _add(out: Outcome, lab: str, change: Change, what: str, table_change: TableChange, *, before: str | None = None,
         after: str | None = None) -> None:
    out.add(APPLY_TABLE, change, None, f"{_label(lab)} {what}", TableAction(lab, table_change), before=before, after=after)
