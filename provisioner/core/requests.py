"""What a kind's `encode` returns: netlink requests for the executor to send in batches."""

from __future__ import annotations

from dataclasses import dataclass

from ..rtnl import Msg
from .plan import Action


@dataclass
class Request:
    """One netlink message for one action; `tolerate_gone` for deletions."""

    netns: str | None
    msg: Msg
    action: Action
    tolerate_gone: bool = False


Built = tuple[list[Request], list[Request]]
"""Requests sent with their phase, and follow-ups sent with the namespace's next batch (e.g.
bringing up a new veth's peer, in the peer's namespace)."""
