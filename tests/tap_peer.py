"""A user-space peer on a persistent tun/tap device, as a VM would be (tests/test_taps.py):
opens /dev/net/tun itself (TUNSETIFF, not topo's code), then answers ARP requests for its
address (tap mode) and ICMP echo requests to it (tap and tun mode), printing one line per
frame it answered, until it has answered COUNT echoes or TIMEOUT seconds pass.

    python3 tests/tap_peer.py IFNAME tap|tun ADDRESS [--multi-queue] [--count N] [--timeout S]
"""

from __future__ import annotations

import argparse
import fcntl
import ipaddress
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE = 0x0001, 0x0002, 0x1000, 0x0100
MAC = bytes.fromhex("020000aa0001")


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply(packet: bytes, me: bytes) -> bytes | None:
    """The IPv4 ICMP echo reply to `packet`, when it is an echo request to `me`."""
    ihl = (packet[0] & 0x0F) * 4
    if len(packet) < ihl + 8 or packet[0] >> 4 != 4 or packet[9] != 1 or packet[16:20] != me or packet[ihl] != 8:
        return None
    icmp = b"\0\0\0\0" + packet[ihl + 4:]
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = bytearray(packet[:ihl])
    header[12:16], header[16:20] = packet[16:20], packet[12:16]
    header[8] = 64
    header[10:12] = b"\0\0"
    header[10:12] = struct.pack("!H", checksum(bytes(header)))
    return bytes(header) + icmp


def arp_reply(frame: bytes, me: bytes) -> bytes | None:
    arp = frame[14:42]
    if len(arp) < 28 or arp[6:8] != b"\0\1" or arp[24:28] != me:
        return None
    sender_mac, sender_ip = arp[8:14], arp[14:18]
    body = b"\0\1\x08\0\6\4\0\2" + MAC + me + sender_mac + sender_ip
    return sender_mac + MAC + b"\x08\x06" + body


def answer(frame: bytes, mode: str, me: bytes) -> tuple[str, bytes] | None:
    if mode == "tun":
        reply = echo_reply(frame, me)
        return ("echo", reply) if reply else None
    ethertype = frame[12:14]
    if ethertype == b"\x08\x06":
        reply = arp_reply(frame, me)
        return ("arp", reply) if reply else None
    if ethertype == b"\x08\x00":
        reply = echo_reply(frame[14:], me)
        return ("echo", frame[6:12] + MAC + b"\x08\x00" + reply) if reply else None
    return None


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("ifname")
    p.add_argument("mode", choices=("tap", "tun"))
    p.add_argument("address")
    p.add_argument("--multi-queue", action="store_true")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20)
    args = p.parse_args()
    me = ipaddress.IPv4Address(args.address).packed
    flags = (IFF_TAP if args.mode == "tap" else IFF_TUN) | IFF_NO_PI | (IFF_MULTI_QUEUE if args.multi_queue else 0)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.ifname.encode(), flags).ljust(40, b"\0"))
    print("attached", flush=True)
    deadline, echoes = time.monotonic() + args.timeout, 0
    while echoes < args.count and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        got = answer(os.read(fd, 65536), args.mode, me)
        if got is not None:
            os.write(fd, got[1])
            print(got[0], flush=True)
            echoes += got[0] == "echo"
    return 0 if echoes >= args.count else 1


if __name__ == "__main__":
    sys.exit(main())
