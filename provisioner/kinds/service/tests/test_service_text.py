"""The whole table in nft's language (nfttext.py), without a kernel: each rule the builders
make, written as nft reads it; what the writer does not know, and any value that is not a
plain name, address, number or keyword, is refused (the JSON commands are sent instead).
tests/test_services.py makes the examples' tables from this text on a real kernel and reads
them back as values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.kinds.service.nftjson import TableChange
from provisioner.kinds.service.nfttext import Unwritable, create_script, rule_text
from provisioner.kinds.service.ops import _script
from provisioner.kinds.service.ruleset import Chain, Hook, Map, build_table, comment, match, payload, rule
from provisioner.kinds.testing import topology

HERE = Path(__file__).parent


def lines() -> list[str]:
    topo = topology((HERE / "lab.yaml").read_text())
    table = build_table(topo.services)
    return create_script("topo-svc", list(table.chains.values()), list(table.maps.values()), comment("svc")).splitlines()


@pytest.mark.parametrize("line", [
    "create table inet topo-svc",
    "add chain inet topo-svc nat-prerouting { type nat hook prerouting priority -100; policy accept; }",
    "add chain inet topo-svc endpoint-default/web/tcp/80/web-a",
    "add map inet topo-svc service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }",
    "add rule inet topo-svc mark-for-masquerade meta mark set meta mark | 0x00004000",
    "add rule inet topo-svc services ip daddr . meta l4proto . th dport vmap @service-ips",
    "add rule inet topo-svc services fib daddr type == local meta l4proto . th dport vmap @service-nodeports",
    'add rule inet topo-svc nat-prerouting jump services comment "topo:svc"',
    'add rule inet topo-svc nat-postrouting meta mark & 0x00004000 == 0x00004000 masquerade comment "topo:svc"',
    "add rule inet topo-svc service-default/web/tcp/80 numgen random mod 3 vmap { 0 : goto endpoint-default/web/tcp/80/web-a, "
    "1 : goto endpoint-default/web/tcp/80/web-b, 2 : goto endpoint-default/web/tcp/80/web-c }",
    "add rule inet topo-svc endpoint-default/web/tcp/80/web-b ip saddr == 10.244.0.3 jump mark-for-masquerade",
    "add rule inet topo-svc endpoint-default/web/tcp/80/web-b meta l4proto == tcp dnat ip to 10.244.0.3:8080",
])
def test_the_lab_table_as_nft_reads_it(line: str) -> None:
    assert line in lines()


def test_chains_are_declared_before_any_rule_or_element_names_them() -> None:
    text = lines()
    first_use = min(i for i, line in enumerate(text) if line.startswith(("add rule", "add element")))
    assert max(i for i, line in enumerate(text) if line.startswith("add chain")) < first_use
    assert text[0].startswith("create table")  # fails whole when a table of the name is there


def test_rules_that_differ_in_addresses_only_are_written_once_and_filled_in() -> None:
    written: dict[str, str] = {}
    a = rule(match(payload("ip", "saddr"), "10.0.0.1"), {"jump": {"target": "mark-for-masquerade"}})
    b = a.replace("10.0.0.1", "192.168.7.200")
    assert rule_text(a, written) == "ip saddr == 10.0.0.1 jump mark-for-masquerade"
    assert rule_text(b, written) == "ip saddr == 192.168.7.200 jump mark-for-masquerade"
    assert len(written) == 1


def test_policy_rules() -> None:
    ct = rule({"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": None})
    assert rule_text(ct) == "ct state established,related accept"
    peers = rule(match(payload("ip", "saddr"), {"set": ["10.0.0.1", {"prefix": {"addr": "10.1.0.0", "len": 16}}]}),
                 match(payload("tcp", "dport"), {"set": [80, 443]}), {"return": None})
    assert rule_text(peers) == "ip saddr == { 10.0.0.1, 10.1.0.0/16 } tcp dport == { 80, 443 } return"


@pytest.mark.parametrize("bad", [
    "evil chain", 'x"; flush ruleset; "', "a\nb", "a;b", "{x}", "1abc", "", "services2", "x" * 300, "a$b", "a:b",
])
def test_a_name_that_is_not_one_word_of_nft_is_refused(bad: str) -> None:
    with pytest.raises(Unwritable):
        create_script("topo-svc", [Chain(bad, ())], [], comment("svc"))
    with pytest.raises(Unwritable):
        rule_text(rule({"jump": {"target": bad}}))


@pytest.mark.parametrize("exprs", [
    [{"counter": None}],  # not an expression the builders use
    [match(payload("ip", "saddr"), "10.0.0.1; drop")],
    [match(payload("ip", "saddr"), "not-an-address")],  # a keyword-like word is fine, this has '-'
    [match({"meta": {"key": "cgroup"}}, 1)],
    [{"dnat": {"family": "ip", "addr": "10.0.0.1 ; flush ruleset", "port": 80}}],
    [{"dnat": {"family": "ip", "addr": "10.0.0.1", "port": "80"}}],
    [match(payload("tcp", "dport"), True)],
])
def test_what_the_writer_does_not_know_is_refused(exprs: list) -> None:
    with pytest.raises(Unwritable):
        rule_text(json.dumps(exprs))


def test_the_lab_comment_is_a_plain_quoted_word() -> None:
    with pytest.raises(Unwritable):
        create_script("topo-svc", [Chain("nat-output", (rule({"accept": None}),), Hook("nat", "output", -100))], [], 'topo:"x')


def test_only_a_table_made_from_nothing_goes_as_a_script() -> None:
    topo = topology((HERE / "lab.yaml").read_text())
    whole = TableChange.whole(build_table(topo.services))
    assert _script("svc", whole) is not None
    assert _script("svc", TableChange(set_chains=whole.add_chains[:1])) is None
    unknown = Chain("odd-chain", (json.dumps([{"counter": None}]),))
    assert _script("svc", TableChange(create=True, add_chains=(unknown,))) is None  # then JSON, which knows it
    assert _script("svc", TableChange(create=True, add_maps=(Map("m-x", ("inet_proto",), frozenset()),))) is not None
