"""A root bridge the lab does not own (a user's, another tool's) and gives ports: the kernel
changes it as they come and go. It takes its MAC from its ports (unless one was set) and
gives it 00:00:00:00:00:00 once the last one leaves; it lowers its MTU to theirs (unless one
was set) and makes it 1500 once none is left; a bridge without ports has no carrier.

The plan keeps the bridge as it was before the lab's first port joined it in the lab's record
(`bridges`); destroy, once the lab's ports have left, sets back what the kernel changed, if
the bridge is still there, still not topo's, without ports, and still as the kernel left it
(nobody has set it since), and says what it cannot set back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...rtnl import RawLink
from ...state import ALIAS_PREFIX, BridgeOriginal, LabRecord
from ..link.apply import LinkSpec, link_msg

if TYPE_CHECKING:
    from ...live import LiveLink
    from ...netns import NetnsPool
    from ..link.diff import LinkDiff

NO_MAC = "00:00:00:00:00:00"  # a bridge's MAC once its last port has left (br_stp_recalculate_bridge_id)
PORTLESS_MTU = 1500  # its MTU then (br_mtu_auto_adjust: ETH_DATA_LEN), unless one was set


def keep_original(d: "LinkDiff", name: str, link: "LiveLink") -> None:
    """Record another's root bridge `name` as it is before the lab's ports join it: the lab's
    own earlier word, else a live lab's that shares it, else what it is now if it has no port
    yet (with ports, or all zeros, the kernel has changed it already and it is not known)."""
    record = d.ctx.record
    if name in record.bridges or not any(i.master == name for ns in d.ctx.node.all_netns()
                                         for i in ns.interfaces.values()):
        return
    shared = [rec.bridges[name] for _, rec in sorted(d.ctx.live.other_labs.items()) if name in rec.bridges]
    if shared:
        record.bridges[name] = shared[0]
        return
    live = d.live_ns(None)
    ports = [p for p in (live.links.values() if live else ()) if p.master == name]
    if not ports and link.mac != NO_MAC:
        record.bridges[name] = BridgeOriginal(link.mac, link.mtu)


def restore_bridges(pool: "NetnsPool", record: LabRecord) -> list[str]:
    """Set back the recorded bridges the lab's ports have left; what was done and what could
    not be, as lines for the user."""
    if not record.bridges:
        return []
    sock = pool.socket(None)
    links = sock.links()
    notes = []
    for name, original in sorted(record.bridges.items()):
        bridge = next((r for r in links if r.name == name), None)
        if bridge is None or bridge.kind != "bridge" or (bridge.alias or "").startswith(ALIAS_PREFIX):
            continue  # gone, or made or taken over by a lab since: not the one recorded
        if any(r.master == bridge.index for r in links):
            continue  # ports are left (another lab's, the user's): the kernel keeps it as they make it
        notes += _set_back(pool, bridge, original)
    return notes


def _set_back(pool: "NetnsPool", bridge: RawLink, original: BridgeOriginal) -> list[str]:
    """Set back what the kernel changed on a bridge without ports (and nobody since)."""
    mac = original.mac if bridge.mac == NO_MAC else None
    mtu = original.mtu if bridge.mtu == PORTLESS_MTU != original.mtu else None
    notes = []
    if mac is not None or mtu is not None:
        err = pool.socket(None).batch([link_msg(None, None, bridge.name, LinkSpec(mtu=mtu, mac=mac))])[0]
        what = " and ".join(p for p in (mac and f"MAC {mac}", mtu and f"MTU {mtu}") if p)
        if err is not None:
            notes.append(f"bridge {bridge.name}: could not set back its {what} ({err.strerror or err}); "
                         f"it is left with MAC {bridge.mac}, MTU {bridge.mtu}")
        else:
            notes.append(f"bridge {bridge.name}: {what} set back (the kernel changed it with the lab's ports; "
                         "now set by hand, it stays as ports come and go, and the STP bridge id follows the MAC)")
    if bridge.up:
        notes.append(f"bridge {bridge.name}: not restored (the kernel's, not settable): carrier (a bridge without "
                     "ports has none: NO-CARRIER, state DOWN, its routes linkdown until a port joins it) and tso_max_size")
    return notes
