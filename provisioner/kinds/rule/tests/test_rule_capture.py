"""Capture of a namespace's rules from their facts (root-free): the kernel's own left out,
what topo cannot write noted, the rest written so that the file builds back the same rules."""

from __future__ import annotations

import ipaddress

from provisioner.capture_core import Notes, Options
from provisioner.kinds.rule.capture import capture_netns, capture_rules
from provisioner.kinds.rule.dump import rule as dump_rule
from provisioner.kinds.rule.model import NO_MASK, Rule
from provisioner.kinds.rule.read import LiveRule
from provisioner.live import LiveNetns
from provisioner.loader import load_text
from provisioner.model import Netns, Place
from provisioner.validate import validate_document

NET = ipaddress.ip_network
KERNELS = [LiveRule(Rule(4, 0, 255), 2), LiveRule(Rule(4, 32766, 254), 2), LiveRule(Rule(4, 32767, 253), 2),
           LiveRule(Rule(6, 0, 255), 2), LiveRule(Rule(6, 32766, 254), 2)]
OTHERS = [
    LiveRule(Rule(4, 100, 100, NET("10.1.0.2/32")), 3),
    LiveRule(Rule(6, 200, 7, None, NET("fd00::/64"), iif="eth0"), 0),
    LiveRule(Rule(4, 300, 254, fwmark=0x10, fwmask=0xF0), 151),
    LiveRule(Rule(6, 400, 1000, fwmark=1, fwmask=NO_MASK), 3),
    LiveRule(Rule(4, 32766, 254, oif="eth0"), 3),  # the kernel's priority, a selector: someone's
]


def _capture(*facts: LiveRule) -> tuple[list[Rule], Notes]:
    notes = Notes()
    return capture_rules("pod", LiveNetns("pod", rules=list(facts)), notes), notes


def test_the_kernels_rules_are_left_out_the_others_kept_in_order() -> None:
    got, notes = _capture(*KERNELS[:1], *OTHERS, *KERNELS[1:])
    assert got == [f.rule for f in OTHERS]
    assert notes.skipped == [] and notes.left_out == []


def test_rules_topo_cannot_write_are_noted() -> None:
    got, notes = _capture(LiveRule(Rule(4, 10, 100, NET("10.0.0.0/8")), 3, plain=False),
                          LiveRule(Rule(4, 20, 253, NET("10.0.0.0/8")), 3),
                          LiveRule(Rule(4, 30, 255, iif="eth0"), 3),
                          LiveRule(Rule(4, 40, 100, iif="bad name"), 3),
                          LiveRule(Rule(4, 0, 255), 2, plain=False))  # an odd rule at the kernel's priority
    assert got == []
    assert [n.split(": ", 2)[:2] for n in notes.skipped] == [
        ["rule 10", "from 10.0.0.0/8 lookup 100 in namespace pod"],
        ["rule 20", "from 10.0.0.0/8 lookup 253 in namespace pod"],
        ["rule 30", "ipv4 iif eth0 lookup 255 in namespace pod"],
        ["rule 40", "ipv4 iif bad name lookup 100 in namespace pod"],
        ["rule 0", "ipv4 lookup 255 in namespace pod"],
    ]
    assert "kernel's default table" in notes.skipped[1] and "kernel's local table" in notes.skipped[2]
    assert "not model" in notes.skipped[0] and "its iif" in notes.skipped[3]


def test_the_root_namespaces_rules_only_for_the_whole_machine() -> None:
    live = LiveNetns(None, rules=[*KERNELS, *OTHERS[:2]])
    whole, named = Netns(Place("host")), Netns(Place("host"))
    notes = Notes()
    capture_netns(None, whole, live, Options(), notes)
    assert whole.rules == [OTHERS[0].rule, OTHERS[1].rule] and notes.left_out == []
    capture_netns(None, named, live, Options(named=True), notes)
    assert named.rules == [] and notes.left_out == [
        "2 policy routing rules of the root namespace (the node's, not tied to the namespaces named with --netns)"]


def test_captured_rules_build_back_the_same() -> None:
    got, _ = _capture(*OTHERS)
    rules = ", ".join("{" + ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in dump_rule(r).items()) + "}"
                      for r in got)
    text = ("name: lab\nnamespaces:\n  pod:\n    interfaces: {eth0: {addresses: [10.1.0.2/24]}}\n"
            f"    rules: [{rules}]\nlinks: [{{a: pod:eth0, b: host:v-pod}}]\n")
    result = validate_document(load_text("captured.yaml", text))
    assert [d.message for d in result.diagnostics] == []
    assert result.topology is not None
    assert result.topology.nodes["host"].namespaces["pod"].rules == got
