"""Runs a lab's declared checks (`checks:`) on this node: reach an address or a name over ICMP
or a TCP port, or resolve a name, from inside a namespace (or the node), expecting success
or failure.

Each probe is a real program run where a user would run it: `ping` and `getent hosts` under
`ip netns exec NS` (so names resolve with the namespace's hosts file), and a TCP connect
from a short Python child there. Probes run in parallel; each is bounded by its timeout.
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .model import Check, Topology

# a connection, tried again until the timeout while refused (a server the lab just started
# may not listen yet); a check that expects failure passes at the first refusal
_TCP = (
    "import socket, sys, time\n"
    "host, port, timeout, retry = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == '1'\n"
    "deadline = time.monotonic() + timeout\n"
    "while True:\n"
    "    try:\n"
    "        socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic())).close()\n"
    "        sys.exit(0)\n"
    "    except OSError as e:\n"
    "        if not retry or time.monotonic() + 0.05 >= deadline:\n"
    "            print(e.strerror or e, file=sys.stderr); sys.exit(1)\n"
    "        time.sleep(0.05)\n"
)


# HTTP GET over N connections (each new); prints each answer's body, one per line
_HTTP = (
    "import socket, sys\n"
    "host, port, timeout, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])\n"
    "for _ in range(n):\n"
    "    try:\n"
    "        with socket.create_connection((host, port), timeout=timeout) as s:\n"
    "            s.sendall(b'GET / HTTP/1.0\\r\\nHost: ' + host.encode() + b'\\r\\n\\r\\n')\n"
    "            data = b''\n"
    "            while chunk := s.recv(65536):\n"
    "                data += chunk\n"
    "        print(data.partition(b'\\r\\n\\r\\n')[2].decode('utf-8', 'replace').strip().replace('\\n', ' ')[:200])\n"
    "    except OSError as e:\n"
    "        print('(' + (e.strerror or str(e)) + ')')\n"
)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    passed: bool
    detail: str  # what happened, for people
    seconds: float
    skipped: bool = False  # the check runs on another node


def _argv(check: Check) -> list[str]:
    t = check.timeout
    if check.kind == "http":
        cmd = [sys.executable, "-c", _HTTP, check.target, str(check.port), str(t), str(check.connections)]
    elif check.kind == "icmp":
        cmd = ["ping", "-c", "1", "-W", str(max(1, round(t))), "--", check.target]
    elif check.kind == "tcp":
        cmd = [sys.executable, "-c", _TCP, check.target, str(check.port), str(t), "1" if check.expect_success else "0"]
    else:
        cmd = ["getent", "hosts", "--", check.target]
    netns = check.place.netns
    return (["ip", "netns", "exec", netns] if netns is not None else []) + cmd


def run_check(check: Check) -> CheckResult:
    start = time.monotonic()
    try:
        res = subprocess.run(_argv(check), capture_output=True, text=True,
                             timeout=check.timeout * (check.connections if check.answers else 1) + 3)
        ok, out = res.returncode == 0, (res.stdout + res.stderr).strip()
    except subprocess.TimeoutExpired:
        ok, out = False, "timed out"
    seconds = time.monotonic() - start
    if check.kind == "resolve":
        got = out.split()[0] if ok and out else None
        if check.address is not None and got is not None and got != str(check.address):
            ok, detail = False, f"resolved to {got}, expected {check.address}"
        else:
            detail = f"resolved to {got}" if got else "no such name"
    elif check.kind == "http":
        got = sorted(set(out.splitlines())) if ok else []
        ok = ok and got == list(check.answers)
        detail = f"{check.connections} connections answered by {', '.join(got) or 'nothing'}"
    elif check.kind == "icmp":
        detail = "reply" if ok else "no reply"
    else:
        detail = "connected" if ok else (out.splitlines()[-1] if out else "refused")
    passed = ok if check.expect_success else not ok
    return CheckResult(check, passed, detail, seconds)


def run_checks(topo: Topology, node: str, *, workers: int = 8) -> list[CheckResult]:
    """Every check of the lab; those that run on other nodes are reported as skipped."""
    mine = [c for c in topo.checks if c.place.node == node]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(map(id, mine), pool.map(run_check, mine)))
    return [done[id(c)] if c.place.node == node else CheckResult(c, True, f"runs on node {c.place.node}", 0.0, True)
            for c in topo.checks]
