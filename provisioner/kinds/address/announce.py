"""Gratuitous ARP: an ARP request for one's own address, to the broadcast address, sent on a
raw packet socket of the current namespace (RFC 5227 announcement). Best effort: a link that
cannot send (down, no carrier) is simply not announced."""

from __future__ import annotations

import ipaddress
import socket
import struct

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6


def frame(mac: bytes, ip: ipaddress.IPv4Address) -> bytes:
    """The Ethernet frame of the announcement: sender and target address both `ip`."""
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip.packed, b"\x00" * 6, ip.packed)
    return BROADCAST + mac + struct.pack("!H", ETH_P_ARP) + arp


def announce(ifname: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version != 4:
        return False
    try:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as sock:
            sock.bind((ifname, ETH_P_ARP))
            mac = sock.getsockname()[4]
            if len(mac) != 6:
                return False
            sock.send(frame(mac, ip))  # type: ignore[arg-type]
    except OSError:
        return False
    return True
