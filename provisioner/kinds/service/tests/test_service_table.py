"""The Service kind without a kernel: the table the file gives, read back from what `nft -j`
listed for it (listing.json: nftables 1.0.6 on a real kernel, for lab.yaml), the diff against
it, and the order of a transaction's commands."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from provisioner.core.diff import DiffContext
from provisioner.core.effects import Effects
from provisioner.kinds.registry import REGISTRY
from provisioner.kinds.service.diff import diff
from provisioner.kinds.service.nftjson import TableChange, commands, read_table
from provisioner.kinds.service.read import NftFacts
from provisioner.kinds.service.ruleset import build_table, comment
from provisioner.kinds.testing import live_state, topology as parse
from provisioner.state import LabRecord

HERE = Path(__file__).parent


def topology():
    return parse((HERE / "lab.yaml").read_text())


def listed():
    found = read_table(json.loads((HERE / "listing.json").read_text()), "topo-svc")
    assert found is not None
    return found


def plan_lines(topo, facts: NftFacts) -> tuple[list[str], list[str]]:
    out = diff(_ctx(topo, facts), Effects())
    return [a.describe() for a in out.actions], [c.message for c in out.conflicts]


def test_the_table_the_kernel_lists_is_the_one_the_file_gives() -> None:
    table, marks = listed()
    want = build_table(topology().services)
    assert table.chains == want.chains and table.maps == want.maps
    assert marks == {comment("svc")}


def test_in_sync_plans_nothing() -> None:
    table, marks = listed()
    assert plan_lines(topology(), NftFacts.listed(table, frozenset(marks))) == ([], [])


def test_an_endpoint_removed_changes_its_service_chain_and_drops_its_own() -> None:
    table, marks = listed()
    topo = topology()
    web = topo.services[0]
    topo.services[0] = replace(web, endpoints=web.endpoints[:2])
    lines, conflicts = plan_lines(topo, NftFacts.listed(table, frozenset(marks)))
    assert not conflicts
    assert "~ nftables table inet topo-svc chain service-default/web/tcp/80: 1 rule -> 1 rule" in lines
    assert "- nftables table inet topo-svc chain endpoint-default/web/tcp/80/web-c" in lines
    assert not [line for line in lines if "other" in line or "/web-a" in line]


def test_missing_table_is_made_in_one_action_and_unmarked_one_is_a_conflict() -> None:
    table, _ = listed()
    lines, _ = plan_lines(topology(), NftFacts(True))
    assert lines == ["+ nftables table inet topo-svc (2 services, 17 chains)"]
    lines, conflicts = plan_lines(topology(), NftFacts.listed(table))
    assert lines == [] and conflicts == ["nftables table inet topo-svc exists and was not created by lab svc"]
    lines, conflicts = plan_lines(topology(), NftFacts(False))
    assert lines == [] and "libnftables" in conflicts[0]


def test_a_lab_without_services_deletes_only_its_own_table() -> None:
    table, marks = listed()
    topo = topology()
    topo.services.clear()
    assert plan_lines(topo, NftFacts.listed(table, frozenset(marks)))[0] == ["- nftables table inet topo-svc"]
    assert plan_lines(topo, NftFacts.listed(table)) == ([], [])


def test_a_transaction_names_chains_only_once_they_exist_and_deletes_them_last() -> None:
    want = build_table(topology().services)
    chains = list(want.chains.values())
    cmds = commands("svc", TableChange(add_chains=(chains[-1],), set_chains=(chains[0],), delete_chains=("old",),
                                       add_elements=(("service-ips", (("{}", "x"),)),),
                                       delete_elements=(("service-ips", (("{}", "y"),)),)))
    verbs = [(next(iter(c)), next(iter(c[next(iter(c))]))) for c in cmds]
    assert verbs.index(("add", "chain")) < verbs.index(("add", "rule"))
    assert verbs.index(("delete", "element")) < verbs.index(("flush", "chain")) < verbs.index(("delete", "chain"))
    assert verbs[-1] == ("delete", "chain")
    rules = [c["add"]["rule"] for c in cmds if "rule" in c.get("add", {})]
    # the lab's mark is on the rules of its hooks only
    assert all(("comment" in r) == (r["chain"].startswith("nat-")) for r in rules)


def test_a_service_without_endpoints_has_no_chains() -> None:
    topo = topology()
    topo.services[0] = replace(topo.services[0], endpoints=())
    table = build_table(topo.services)
    assert not [c for c in table.chains if "/web/" in c]
    assert all("10.96.0.20" not in key for key, _ in table.maps["service-ips"].elements)


def _ctx(topo, facts: NftFacts, record: LabRecord | None = None) -> DiffContext:
    live = live_state({})
    live.facts["service"] = facts
    node = next(iter(topo.nodes.values()))
    return DiffContext(topo, node, live, record or LabRecord(topo.name, node.name), False, f"topo:{topo.name}", REGISTRY)


def test_a_table_found_equal_is_remembered_and_then_not_listed_again() -> None:
    from provisioner.kinds.service.read import Listing, TableReader

    table, marks = listed()
    kernel = "ab" * 32
    ctx = _ctx(topology(), NftFacts(True, kernel, TableReader.holding(Listing(table, frozenset(marks)))))
    assert not diff(ctx, Effects()).actions
    token = ctx.record.verified["service"]
    assert token.endswith(":" + kernel)
    # the same pair again: the table is not listed (this reader would say it cannot be read)
    unreadable = TableReader.holding(Listing(error="must not be asked"))
    again = _ctx(topology(), NftFacts(True, kernel, unreadable), ctx.record.copy())
    out = diff(again, Effects())
    assert not out.actions and not out.conflicts and again.record.verified["service"] == token
    # the kernel's fingerprint moved (someone changed the table): compared as values again
    moved = _ctx(topology(), NftFacts(True, "cd" * 32, unreadable), ctx.record.copy())
    out = diff(moved, Effects())
    assert [c.message for c in out.conflicts] == ["nftables table inet topo-svc could not be read: must not be asked"]
    assert "service" not in moved.record.verified
    # the file's table changed: compared as values, and the change planned
    svc = topology()
    svc.services[0] = replace(svc.services[0], endpoints=svc.services[0].endpoints[:1])
    changed = _ctx(svc, NftFacts(True, kernel, TableReader.holding(Listing(table, frozenset(marks)))), ctx.record.copy())
    assert diff(changed, Effects()).actions and "service" not in changed.record.verified


def test_an_endpoint_rule_is_the_text_rule_gives() -> None:
    from provisioner.kinds.service.ruleset import MARK_CHAIN, match, payload, rule

    table = build_table(topology().services)
    for chain in (c for n, c in table.chains.items() if n.startswith("endpoint-")):
        addr = json.loads(chain.rules[0])[0]["match"]["right"]
        dnat = json.loads(chain.rules[1])[1]["dnat"]
        assert chain.rules == (
            rule(match(payload("ip", "saddr"), addr), {"jump": {"target": MARK_CHAIN}}),
            rule(match({"meta": {"key": "l4proto"}}, json.loads(chain.rules[1])[0]["match"]["right"]),
                 {"dnat": {"family": "ip", "addr": addr, "port": dnat["port"]}}))
        assert isinstance(dnat["port"], int)
