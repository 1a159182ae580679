"""`topo capture FILE [NS:]IF`: a packet capture on one of a lab's interfaces, in its namespace.

The capture itself is Debian's tcpdump, run with an argv (never a shell) inside the lab's
namespace (`ip netns exec`, as `topo exec` does; the root namespace's lab interfaces directly).
Only an interface the file declares on this node is captured, and only once the lab is applied
here: never one of the machine's own interfaces.

To a file (`-w`): tcpdump writes pcap to a pipe, and topo writes the file itself: a new
temporary file beside it (O_EXCL|O_NOFOLLOW, mode 0600: captures hold traffic), renamed over
the name at the end, so a link planted at the name is replaced, never written through, and a
reader never sees half a file. A name ending in .pcapng gets pcapng (converted as the packets
arrive), any other name the pcap tcpdump wrote. Ctrl-C (SIGINT) or SIGTERM is passed on to
tcpdump, which stops, flushes and exits; the file is then complete and renamed into place.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from .diagnostics import TopoError
from .model import Topology
from .safefs import opened_dir, regular_file, temporary_name

__all__ = ["Target", "find_target", "tcpdump_argv", "run_capture", "PcapngWriter", "copy_stream"]

ROOT_OWNERS = ("host", "(root)")
_PCAP_MAGICS = {0xA1B2C3D4: 6, 0xA1B23C4D: 9}  # pcap magic -> timestamp resolution (10^-N s)


@dataclass(frozen=True)
class Target:
    """A lab interface to capture on: its namespace (None: the node's root namespace)."""

    netns: str | None
    ifname: str

    def __str__(self) -> str:
        return f"{self.netns or 'host'}:{self.ifname}"


def _candidates(topo: Topology, node: str) -> list[Target]:
    where = topo.nodes[node]
    out = [Target(None, name) for name in where.root.interfaces if name != "lo"]
    for ns_name, ns in where.namespaces.items():
        out += [Target(ns_name, name) for name in ns.interfaces]
        if "lo" not in ns.interfaces:
            out.append(Target(ns_name, "lo"))
    return out


def find_target(topo: Topology, node: str, spec: str, file: Path) -> Target:
    """The lab interface SPEC names: `NS:IF`, `host:IF` (the root namespace), `BRIDGE:PORT`, or
    `IF` alone when only one of the lab's interfaces has that name. Anything else is refused,
    naming the lab's interfaces."""
    known = _candidates(topo, node)
    owner, sep, ifname = spec.rpartition(":")
    if not sep:
        matches = [t for t in known if t.ifname == ifname]
    elif owner in ROOT_OWNERS:
        matches = [t for t in known if t.netns is None and t.ifname == ifname]
    else:
        root = topo.nodes[node].root.interfaces
        matches = [t for t in known if t.ifname == ifname
                   and (t.netns == owner or (t.netns is None and root[ifname].master == owner))]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(str(t) for t in known) or "none"
    if matches:
        raise TopoError(f"error: {file}: {spec} names {len(matches)} interfaces of lab {topo.name} "
                        f"({', '.join(str(t) for t in matches)}); give it as NS:IF")
    raise TopoError(f"error: {file}: {spec} is not an interface of lab {topo.name} on node {node}: topo captures "
                    f"only a lab's own interfaces (the lab's: {shown})")


def tcpdump_argv(target: Target, to_pipe: bool, count: int | None, bpf: tuple[str, ...]) -> list[str]:
    """tcpdump's argv for TARGET, inside its namespace: pcap on standard output (to_pipe,
    packet-buffered) or text lines, numeric, line-buffered."""
    argv = ["tcpdump", "-i", target.ifname, "-n", "--immediate-mode"]  # none held back when Ctrl-C stops it
    argv += ["-U", "-w", "-"] if to_pipe else ["-l"]
    if count is not None:
        argv += ["-c", str(count)]
    if bpf:
        argv += ["--", *bpf]
    if target.netns is None:
        return argv
    return ["ip", "netns", "exec", target.netns, *argv]


def _read_exact(stream: IO[bytes], n: int) -> bytes | None:
    data = stream.read(n)
    if not data:
        return None
    if len(data) != n:
        raise TopoError(f"error: tcpdump's output ended in the middle of a record ({len(data)} of {n} bytes)")
    return data


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad(value)


def _block(kind: int, body: bytes) -> bytes:
    size = 12 + len(body)
    return struct.pack("<II", kind, size) + body + struct.pack("<I", size)


@dataclass
class PcapngWriter:
    """pcapng out of a pcap stream: a section header, one interface description (link type,
    snap length, name, timestamp resolution), then one enhanced packet block per record."""

    out: IO[bytes]
    name: str

    def header(self, linktype: int, snaplen: int, tsresol: int) -> None:
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _option(4, b"topo capture") + _option(0, b"")
        self.out.write(_block(0x0A0D0D0A, shb))
        options = _option(2, self.name.encode()) + _option(9, bytes([tsresol])) + _option(0, b"")
        self.out.write(_block(1, struct.pack("<HHI", linktype, 0, snaplen) + options))

    def packet(self, stamp: int, data: bytes, orig_len: int) -> None:
        body = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(data), orig_len) + _pad(data)
        self.out.write(_block(6, body))


def _records(stream: IO[bytes], endian: str) -> Iterator[tuple[int, int, bytes, int]]:
    while (head := _read_exact(stream, 16)) is not None:
        sec, frac, incl, orig = struct.unpack(endian + "IIII", head)
        data = _read_exact(stream, incl) if incl else b""
        if data is None:
            raise TopoError("error: tcpdump's output ended in the middle of a packet")
        yield sec, frac, data, orig


def copy_stream(stream: IO[bytes], out: IO[bytes], pcapng_name: str | None) -> int:
    """Copy tcpdump's pcap from STREAM to OUT (as pcapng when PCAPNG_NAME is given); the number
    of packets."""
    head = _read_exact(stream, 24)
    if head is None:
        return 0
    endian = "<" if struct.unpack("<I", head[:4])[0] in _PCAP_MAGICS else ">"
    magic, _, _, _, _, snaplen, linktype = struct.unpack(endian + "IHHiIII", head)
    if magic not in _PCAP_MAGICS:
        raise TopoError(f"error: tcpdump wrote no pcap (magic {magic:#x})")
    resol = _PCAP_MAGICS[magic]
    writer = PcapngWriter(out, pcapng_name) if pcapng_name is not None else None
    if writer is not None:
        writer.header(linktype & 0xFFFF, snaplen, resol)
    else:
        out.write(head)
    packets = 0
    for sec, frac, data, orig in _records(stream, endian):
        if writer is not None:
            writer.packet(sec * 10**resol + frac, data, orig)
        else:
            out.write(struct.pack(endian + "IIII", sec, frac, len(data), orig) + data)
        out.flush()
        packets += 1
    return packets


@dataclass(frozen=True)
class Outcome:
    status: int  # tcpdump's exit status (0 after Ctrl-C)
    packets: int | None  # written to the file (None: text to the terminal)


def _forwarding(child: subprocess.Popen[bytes]) -> Callable[[], None]:
    """Pass SIGINT and SIGTERM on to CHILD (in a session of its own, so a terminal's Ctrl-C
    reaches topo only); the returned function puts the previous handlers back."""
    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _status(child: subprocess.Popen[bytes]) -> int:
    code = child.wait()
    return 0 if code == -signal.SIGINT else code


def run_capture(target: Target, count: int | None, bpf: tuple[str, ...], output: Path | None) -> Outcome:
    """Run the capture until COUNT packets, tcpdump's end, or Ctrl-C; to OUTPUT or as text."""
    argv = tcpdump_argv(target, output is not None, count, bpf)
    if output is None:
        child = subprocess.Popen(argv, start_new_session=True)
        restore = _forwarding(child)
        try:
            return Outcome(_status(child), None)
        finally:
            restore()
    with opened_dir(output.parent if str(output.parent) else Path(".")) as dir_fd:
        regular_file(dir_fd, output.name, output)  # a link or a directory at the name: refused
        tmp = temporary_name(output.name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as out:
                packets, status = _pump(argv, out, str(target) if output.suffix == ".pcapng" else None)
                out.flush()
                os.fsync(out.fileno())
            if status == 0:
                os.rename(tmp, output.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
                tmp = ""
        finally:
            if tmp:
                os.unlink(tmp, dir_fd=dir_fd)
    return Outcome(status, packets)


def _pump(argv: list[str], out: IO[bytes], pcapng_name: str | None) -> tuple[int, int]:
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    assert child.stdout is not None
    restore = _forwarding(child)
    try:
        packets = copy_stream(child.stdout, out, pcapng_name)
    finally:
        child.stdout.close()
        status = _status(child)
        restore()
    return packets, status
