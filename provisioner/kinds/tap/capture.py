"""`topo save` of tun/tap devices: each persistent one, with its mode, owner (a user name
when the node has one of that uid) and queues; its queue length when not the kernel's for
its mode."""

from __future__ import annotations

import pwd

from ...capture_core import Captured, Options, interface
from ...live import LiveLink
from ..link.capture import DEFAULT_TXQLEN
from .model import KIND, MODES, Tap
from .read import TapFacts

DEFAULT_MTU = 1500
TUN_TXQLEN = 500
"""The queue length the kernel gives a tun device (TUN_READQ_SIZE); a tap device's Ethernet
setup gives it the usual 1000."""


def default_txqueuelen(link: LiveLink) -> int:
    """The queue length a new device of this link's mode has (kinds/link/capture.py writes
    `txqueuelen` only when the link's differs)."""
    facts = link.info
    return TUN_TXQLEN if isinstance(facts, TapFacts) and facts.mode == "tun" else DEFAULT_TXQLEN


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def capture_link(cap: Captured, ns: str | None, link: LiveLink, opts: Options) -> str | None:
    """Add the tap to the model; or why it is not captured."""
    facts = link.info
    if not isinstance(facts, TapFacts) or facts.mode not in MODES:
        return f"a tun device of {facts.mode if isinstance(facts, TapFacts) else 'an unknown'} type, which topo does not model"
    if not facts.persist:
        return "not persistent: it goes when the program that made it closes it"
    iface = interface(link, KIND, DEFAULT_MTU, opts.macs and facts.mode == "tap")
    owner = user_name(facts.uid) if facts.uid is not None else None
    iface.spec = Tap(facts.mode, owner, facts.uid, facts.multi_queue)
    cap.add(ns, iface)
    return None
