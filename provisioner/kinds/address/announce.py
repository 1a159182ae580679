"""Gratuitous ARP: an ARP request for one's own address, to the broadcast address, sent on a
raw packet socket of the current namespace (RFC 5227 announcement). Best effort: a link that
cannot send (down, no carrier) is simply not announced."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

ETH_P_ARP = 0x0806
SIOCGIFHWADDR = 0x8927
ARPHRD_ETHER = 1
BROADCAST = b"\xff" * 6


def frame(mac: bytes, ip: ipaddress.IPv4Address) -> bytes:
    """The Ethernet frame of the announcement: sender and target address both `ip`."""
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip.packed, b"\x00" * 6, ip.packed)
    return BROADCAST + mac + struct.pack("!H", ETH_P_ARP) + arp


def announce(ifname: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version != 4:
        return False
    try:
        # protocol 0 and no bind: the socket only sends, so the kernel hooks no receiver onto
        # the device (binding one costs an RCU grace period, milliseconds a link)
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
            ifreq = fcntl.ioctl(sock, SIOCGIFHWADDR, struct.pack("16s16x", ifname.encode()))
            family, mac = struct.unpack_from("H6s", ifreq, 16)
            if family != ARPHRD_ETHER:
                return False
            sock.sendto(frame(mac, ip), (ifname, ETH_P_ARP))
    except OSError:
        return False
    return True
