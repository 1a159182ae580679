"""`topo save` of macvlans: each one in a captured namespace (or the root namespace) whose
parent is a link of the root namespace."""

from __future__ import annotations

from ...capture_core import Captured, Options, interface
from ...live import LiveLink
from .model import KIND, MODES, Macvlan
from .read import MacvlanFacts

DEFAULT_MTU = 1500


def capture_link(cap: Captured, ns: str | None, link: LiveLink, opts: Options) -> str | None:
    """Add the macvlan to the model; or why it is not captured."""
    facts = link.info
    if not isinstance(facts, MacvlanFacts) or facts.mode not in MODES:
        return f"a macvlan in {facts.mode if isinstance(facts, MacvlanFacts) else 'an unknown'} mode, which topo does not model"
    if (facts.parent_netnsid is None) != (ns is None):
        return "its parent is not in the root namespace"
    root = cap.live.get(None)
    parent = next((l.name for l in root.links.values() if l.index == facts.parent_index), None) if root else None
    if parent is None:
        return "its parent is not a link of the root namespace topo can name"
    iface = interface(link, KIND, DEFAULT_MTU, opts.macs)
    iface.spec = Macvlan(parent, facts.mode)
    cap.add(ns, iface)
    return None
