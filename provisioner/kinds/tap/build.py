"""Build the lab's tun/tap devices (`taps:`): each at `OWNER:IFNAME`, OWNER a namespace, a
node (its root namespace) or a lab bridge (the tap becomes its port, in the root namespace);
its owner a user of the node, by name or uid."""

from __future__ import annotations

import pwd
from typing import Any

from ...diagnostics import YamlPath
from ...model import Interface, Topology
from ...names import printable
from ..buildctx import BuildContext, Owner, name_taken, suggest, valid_ifname
from ..link.build import settings
from .model import DEFAULT_MODE, KIND, Tap


def build(ctx: BuildContext, topo: Topology) -> None:
    for i, raw in enumerate(ctx.data.get("taps") or []):
        _tap(ctx, topo, ("taps", i), raw)


def owner_uid(owner: str) -> int | None:
    """The uid of a user name or number; None when no such user exists (a number always does)."""
    if owner.isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        return None


def _owner(ctx: BuildContext, path: YamlPath, name: str) -> Owner | None:
    owner = ctx.owners.resolve(name, None)
    if owner is not None:
        return owner
    nodes = ctx.owners.bridges.get(name)
    if nodes:
        ctx.sink.error(path, f"bridge {name} is on nodes {', '.join(sorted(nodes))}; a tap's `at` cannot say which",
                       "put the tap in a namespace or a node's root namespace and name the bridge's node")
    else:
        ctx.sink.error(path, f"{printable(name)} is not a namespace, bridge or node of this lab",
                       suggest(name, list(ctx.owners.places) + list(ctx.owners.bridges)))
    return None


def _tap(ctx: BuildContext, topo: Topology, path: YamlPath, raw: dict[str, Any]) -> None:
    sink = ctx.sink
    owner_name, _, ifname = str(raw["at"]).partition(":")
    at = _owner(ctx, path + ("at",), owner_name)
    if at is None:
        return
    if err := valid_ifname(ifname):
        sink.error(path + ("at",), err, "shorten it; `ip link` refuses names over 15 characters")
        return
    ns = topo.netns(at.place)
    if name_taken(sink, path + ("at",), ns, owner_name, ifname, "tap"):
        return
    mode = str(raw.get("mode", DEFAULT_MODE))
    if mode == "tun" and at.bridge is not None:
        sink.error(path + ("mode",), f"a tun device carries IP packets, not Ethernet frames: bridge {at.bridge} cannot take it "
                   "as a port", "use mode tap for a bridge port, or put the tun device in a namespace")
        return
    if mode == "tun" and "mac" in raw:
        sink.error(path + ("mac",), "a tun device has no MAC address", "leave `mac` out, or use mode tap")
        return
    user, uid = None, None
    if raw.get("owner") is not None:
        user = str(raw["owner"])
        uid = owner_uid(user)
        if uid is None:
            sink.error(path + ("owner",), f"user {printable(user)} does not exist on this machine",
                       "name an existing user (see `getent passwd`) or give a uid")
            return
    iface = Interface(ifname, KIND, path=path, spec=Tap(mode, user, uid, bool(raw.get("multi_queue", False))))
    settings(ctx, iface, path, raw, {})
    iface.master = at.bridge
    ns.interfaces[ifname] = iface
