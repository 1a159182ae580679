"""An interface's `addresses:` entries: a CIDR, or a mapping with the address and its broadcast
(`{address: 10.42.0.1/24, broadcast: auto}`, as `ip addr add ... brd +` gives it)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ...diagnostics import YamlPath
from ...model import Interface
from ..buildctx import BuildContext

AUTO = "auto"
"""`broadcast: auto`: the subnet's last address (what `ip addr add ... brd +` and the CNI plugins set)."""


def build_addresses(ctx: BuildContext, iface: Interface, path: YamlPath, raw: list[Any], loopback: bool) -> None:
    addrs = []
    for i, entry in enumerate(raw):
        at = path + (i,)
        text = entry.get("address") if isinstance(entry, dict) else entry
        addr = ctx.interface_address(at + (("address",) if isinstance(entry, dict) else ()), text, loopback)
        if addr is None:
            continue
        addrs.append(addr)
        if isinstance(entry, dict) and "broadcast" in entry:
            brd = _broadcast(ctx, at + ("broadcast",), addr, entry["broadcast"])
            if brd is not None:
                iface.broadcasts[addr] = brd
    iface.addresses = tuple(addrs)


def _broadcast(ctx: BuildContext, path: YamlPath, addr: Any, raw: Any) -> ipaddress.IPv4Address | None:
    if addr.version != 4:
        ctx.sink.error(path, f"{addr} is an IPv6 address: IPv6 has no broadcast address", "leave `broadcast` out")
        return None
    if raw == AUTO:
        return addr.network.broadcast_address
    brd = ctx.ip(path, raw)
    if brd is not None and brd.version != 4:
        ctx.sink.error(path, f"broadcast {brd} is not an IPv4 address", f"give an IPv4 address or `{AUTO}`")
        return None
    return brd
