"""Rules: the lab's are those with topo's protocol number (FRA_PROTOCOL), in a lab namespace
all of them, in the node's root namespace only those the record lists (other labs mark theirs
the same way). Every other rule, the kernel's own (0 local, 32766 main, 32767 default) too,
is never touched; one equal to a rule of the file is reported unmanaged, not added twice."""

from __future__ import annotations

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.plan import Change, Unmanaged
from ...rtnl import RTPROT_TOPO
from .model import Rule, RuleKey
from .ops import ADD_RULE, DELETE_RULE


def _order(rule: Rule) -> tuple[int, int, str]:
    return (rule.priority, rule.family, rule.describe())


def diff(ctx: DiffContext, effects: Effects) -> Outcome:
    out = Outcome()
    recorded = {Rule.from_record(r) for r in ctx.record.root_rules}
    for ns in ctx.scoped(effects):
        name = ns.place.netns
        live = ctx.live_ns(name, effects)
        have: set[Rule] = set()
        others: set[Rule] = set()
        for fact in (live.rules if live else []):
            if fact.proto == RTPROT_TOPO and fact.plain and (name is not None or fact.rule in recorded):
                have.add(fact.rule)
            elif fact.plain:
                others.add(fact.rule)
        want = {r.normal() for r in ns.rules}
        for rule in sorted(want - have, key=_order):
            if rule in others:
                out.unmanaged.append(Unmanaged(name, f"rule {rule.describe()}"))
            else:
                out.add(ADD_RULE, Change.CREATE, name, f"rule {rule.describe()}", rule, after=rule.describe(),
                        key=RuleKey(name, rule))
        for rule in sorted(have - want, key=_order):
            out.add(DELETE_RULE, Change.DELETE, name, f"rule {rule.describe()}", rule, before=rule.describe(),
                    key=RuleKey(name, rule))
        if name is None:
            ctx.record.root_rules = [r.to_record() for r in sorted(want - (others - have), key=_order)]
    return out
