"""Measure a lab link between two namespaces, as the impairments lesson does (docs/tutorial.md):

    python3 tools/linkmeter.py rate CLIENT SERVER ADDRESS [--expect 10mbit]   # a bulk TCP transfer
    python3 tools/linkmeter.py loss CLIENT ADDRESS [--expect 30]              # 1,000 pings

Run as root on the node; both ends run in the lab's namespaces (`ip netns exec`), and traffic
goes only to ADDRESS in the lab. With --expect, says whether the measurement is within 15% of
the rate, or 5 points of the loss, and exits 1 when it is not."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

PORT = 5201
RECEIVER = ("import socket, sys\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('', int(sys.argv[1]))); s.listen(1); print('ready', flush=True)\n"
            "c, _ = s.accept(); n = 0\n"
            "while (d := c.recv(65536)): n += len(d)\n"
            "c.sendall(str(n).encode()); c.close()\n")
SENDER = ("import socket, sys\n"
          "c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)\n"
          "left = int(sys.argv[3]); chunk = b'x' * 65536\n"
          "while left > 0: left -= c.send(chunk[:min(left, len(chunk))])\n"
          "c.shutdown(socket.SHUT_WR); print(c.recv(100).decode())\n")
UNITS = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}


def rate_bits(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(bit|kbit|mbit|gbit)", text.strip().lower())
    if m is None:
        raise SystemExit(f"linkmeter: not a rate: {text!r} (e.g. 10mbit)")
    return float(m.group(1)) * UNITS[m.group(2)]


def in_ns(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]


def rate(client: str, server: str, address: str, size: int) -> float:
    """Bits per second of a TCP transfer of `size` bytes from client to server."""
    recv = subprocess.Popen(in_ns(server, sys.executable, "-c", RECEIVER, str(PORT)), stdout=subprocess.PIPE, text=True)
    try:
        assert recv.stdout is not None and recv.stdout.readline().strip() == "ready"
        start = time.monotonic()
        got = subprocess.run(in_ns(client, sys.executable, "-c", SENDER, address, str(PORT), str(size)),
                             capture_output=True, text=True, check=True, timeout=120).stdout.strip()
        seconds = time.monotonic() - start
    finally:
        recv.wait(timeout=10)
    if int(got) != size:
        raise SystemExit(f"linkmeter: the server received {got} bytes of {size}")
    return size * 8 / seconds


def loss(client: str, address: str, count: int) -> float:
    out = subprocess.run(in_ns(client, "ping", "-q", "-n", "-c", str(count), "-i", "0.002", "-W", "1", address),
                         capture_output=True, text=True).stdout
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    if m is None:
        raise SystemExit(f"linkmeter: no ping summary:\n{out}")
    sent, received = int(m.group(1)), int(m.group(2))
    return 100.0 * (sent - received) / sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    r = sub.add_parser("rate")
    r.add_argument("client"), r.add_argument("server"), r.add_argument("address")
    r.add_argument("--bytes", type=int, default=2_500_000)
    r.add_argument("--expect")
    lo = sub.add_parser("loss")
    lo.add_argument("client"), lo.add_argument("address")
    lo.add_argument("--count", type=int, default=1000)
    lo.add_argument("--expect", type=float)
    args = parser.parse_args(argv)
    if args.what == "rate":
        bits = rate(args.client, args.server, args.address, args.bytes)
        line = f"{args.bytes / 1e6:g} MB from {args.client} to {args.server}: {bits / 1e6:.1f} Mbit/s"
        ok = args.expect is None or abs(bits - rate_bits(args.expect)) <= 0.15 * rate_bits(args.expect)
        verdict = "" if args.expect is None else f" ({args.expect} declared: {'within' if ok else 'NOT within'} 15%)"
    else:
        lost = loss(args.client, args.address, args.count)
        line = f"{args.count} pings from {args.client} to {args.address}: {lost:.1f}% lost"
        ok = args.expect is None or abs(lost - args.expect) <= 5
        verdict = "" if args.expect is None else f" ({args.expect:g}% declared: {'within' if ok else 'NOT within'} 5 points)"
    print(line + verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
