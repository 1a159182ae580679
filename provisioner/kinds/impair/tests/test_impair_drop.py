"""Loss without sch_netem: where each loss is dropped (a veth end's on its peer's ingress, an
interface without a known peer on its own egress), the transaction's commands, and the table
read back from a listing in the form `nft -j list table` gives it."""

from __future__ import annotations

from typing import Any

from provisioner.kinds.impair.diff import netem_needs
from provisioner.kinds.impair.drop import DropChain, DropChange, drop_point, read_table, wanted
from provisioner.kinds.testing import topology
from provisioner.model import Place

LAB = """
name: imp
namespaces:
  left:
    impair:
      lo: {loss: 5}
  right: {}
links:
  - a: {at: left:eth0, impair: {loss: 12.5}}
    b: right:eth0
  - a: left:eth1
    b: right:eth1
    impair: {loss: {percent: 1, correlation: 25}, rate: 1mbit}
"""


def test_impair_drop_is_on_the_peers_ingress_or_the_devices_egress() -> None:
    topo = topology(LAB)
    by_if = {(i.place.netns, i.ifname): i for i in topo.impairments}
    assert drop_point(topo, by_if[("left", "eth0")]) == (Place("host", "right"), "eth0", "ingress")
    assert drop_point(topo, by_if[("right", "eth1")]) == (Place("host", "left"), "eth1", "ingress")
    assert drop_point(topo, by_if[("left", "lo")]) == (Place("host", "left"), "lo", "egress")
    chains = {p.netns: {n: c for n, (c, _) in v.items()} for p, v in wanted(topo, topo.impairments).items()}
    assert chains == {"right": {"ingress-eth0": DropChain("eth0", "ingress", 125_000), "ingress-eth1": DropChain("eth1", "ingress", 10_000)},
                      "left": {"egress-lo": DropChain("lo", "egress", 50_000), "ingress-eth1": DropChain("eth1", "ingress", 10_000)}}
    assert netem_needs(by_if[("left", "eth1")], False) == ["loss correlation"]
    assert netem_needs(by_if[("left", "eth0")], False) == [] and netem_needs(by_if[("left", "eth1")], None) == []


def _listing(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """What the kernel would list after `commands` on an empty ruleset (as nft 1.0.6 lists it:
    with handles, a base chain's device left out)."""
    items: list[dict[str, Any]] = []
    for handle, cmd in enumerate(commands, 1):
        (verb, obj), = cmd.items()
        if verb != "add":
            continue
        (what, body), = obj.items()
        items.append({what: {**{k: v for k, v in body.items() if k != "dev"}, "handle": handle}})
    return {"nftables": [{"metainfo": {"version": "1.0.6"}}, *items]}


def test_impair_drop_table_reads_back_as_made() -> None:
    chain = DropChain("eth0", "ingress", 300_000)
    cmds = DropChange("lab", create=True).commands() + DropChange("lab", set_chains=(chain,)).commands()
    assert cmds[0] == {"add": {"table": {"family": "netdev", "name": "topo-lab-impair"}}}
    assert {"add": {"chain": {"family": "netdev", "table": "topo-lab-impair", "name": "ingress-eth0", "type": "filter",
                              "hook": "ingress", "dev": "eth0", "prio": 0, "policy": "accept"}}} in cmds
    table = read_table(_listing(cmds), "lab")
    assert table is not None and table.marked and table.chains == {"ingress-eth0": chain}
    assert read_table(_listing(cmds), "other") is None
    unmarked = read_table(_listing(cmds[:1]), "lab")
    assert unmarked is not None and not unmarked.marked and unmarked.chains == {}
    flushed = [c for c in cmds if "rule" not in c.get("add", {}) or c["add"]["rule"]["chain"] == "topo"]
    assert read_table(_listing(flushed), "lab").chains == {"ingress-eth0": None}  # type: ignore[union-attr]
    assert DropChange("lab", delete_table=True).commands() == [{"delete": {"table": {"family": "netdev", "name": "topo-lab-impair"}}}]
