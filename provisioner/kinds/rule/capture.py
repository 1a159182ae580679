"""`topo save` of policy routing rules: a namespace's rules but the kernel's own (0 lookup
local, 32766 lookup main, 32767 lookup default), each as the file writes it (`table:` a
number, or `main`); in the root namespace only when the capture is of the whole machine
(with --netns the node's rules are not tied to the named namespaces). Rules topo does not
model (another action than a lookup, tos, ports, a uid range ...) or that look up a table
the kernel reserves are noted and left out."""

from __future__ import annotations

from ...capture_core import Notes, NsName, Options, where
from ...desired import valid_ifname
from ...live import LiveNetns
from ...model import Netns
from ..route.tables import MAIN, RESERVED
from .model import Rule
from .read import LiveRule

LOCAL, DEFAULT = 255, 253
KERNEL_RULES = frozenset({(4, 0, LOCAL), (4, 32766, MAIN), (4, 32767, DEFAULT), (6, 0, LOCAL), (6, 32766, MAIN)})
"""(family, priority, table) of the rules the kernel gives every namespace, without selectors."""


def is_kernels(fact: LiveRule) -> bool:
    r = fact.rule
    plain = r.src is None and r.dst is None and r.iif is None and r.oif is None and r.fwmark is None
    return fact.plain and plain and (r.family, r.priority, r.table) in KERNEL_RULES


def why_not(rule: Rule) -> str | None:
    """Why a plain lookup rule cannot be written in a file, or None."""
    if rule.table in RESERVED and rule.table != MAIN:
        return f"it looks up the kernel's {RESERVED[rule.table]} table, which a lab's rule may not name"
    for key, name in (("iif", rule.iif), ("oif", rule.oif)):
        if name is not None and (err := valid_ifname(name)):
            return f"its {key}: {err}"
    return None


def capture_rules(ns: NsName, live: LiveNetns, notes: Notes) -> list[Rule]:
    """The namespace's rules to write, in the kernel's order (by priority)."""
    out: list[Rule] = []
    for fact in live.rules:
        if is_kernels(fact):
            continue
        if not fact.plain:
            notes.skipped.append(f"rule {fact.rule.describe()} in {where(ns)}: it has an action or selector topo does "
                                 "not model (goto, nop, blackhole, tos, ports, uid range, l3mdev ...)")
            continue
        if (why := why_not(fact.rule)) is not None:
            notes.skipped.append(f"rule {fact.rule.describe()} in {where(ns)}: {why}")
            continue
        out.append(fact.rule.normal())
    return out


def capture_netns(ns: NsName, netns: Netns, live: LiveNetns, opts: Options, notes: Notes) -> None:
    """The captured namespace's `rules:` (the hook provisioner/capture.py calls for each)."""
    if ns is None and opts.named:
        others = [f for f in live.rules if not is_kernels(f)]
        if others:
            notes.left_out.append(f"{len(others)} policy routing rules of the root namespace (the node's, not tied "
                                  "to the namespaces named with --netns)")
        return
    netns.rules = capture_rules(ns, live, notes)
