"""What every kind of link shares: claiming a link (the lab's, adopted, or another's),
deleting the lab's links the file no longer names, and changing a link's settings. The
kinds of link (loopback, bridge, vxlan, veth, macvlan) each add their own device."""

from ...core.diff import DiffContext, Outcome
from ...core.effects import Effects
from ...core.registry import KindSpec
from .apply import DELETE_LINK, RENAME_LINK, SET_LINK


def _diff(ctx: DiffContext, effects: Effects) -> Outcome:
    from .diff import diff

    return diff(ctx, effects, ctx.registry.links())


KIND = KindSpec("link", depends=("netns",), ops=(RENAME_LINK, DELETE_LINK, SET_LINK), diff=_diff)
