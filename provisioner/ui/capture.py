"""The page's capture links: `GET /api/capture?iface=ID&seconds=S&count=N` runs tcpdump on one
of the lab's interfaces in its namespace (pcap.py, as `topo capture` does) for at most S seconds
(1..60) or N packets (1..10000), and answers the capture as a pcap or pcapng download.

The interface is named by its id on the page (the diagram's id of an interface the file
declares on this node), looked up among the lab's own interfaces: nothing from the URL is
used as a path, a command word or a tcpdump argument. Capturing changes nothing, so a
read-only page has it too. The packets go to an unnamed temporary file (mode 0600, gone when
closed), not to memory: a capture may hold 10,000 packets."""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Iterator, Mapping

from ..diagnostics import TopoError
from ..pcap import Target, copy_stream, tcpdump_argv
from .view import Lab, lab_interfaces

SECONDS = (1, 60)
COUNT = (1, 10_000)
DEFAULT_SECONDS, DEFAULT_COUNT = 10, 1000
FORMATS = ("pcap", "pcapng")
CHUNK = 64 * 1024


class BadCapture(ValueError):
    """A capture request the page refuses (HTTP 400, or 404 for an unknown interface)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CaptureRequest:
    target: Target
    seconds: int
    count: int
    fmt: str  # pcap or pcapng

    @property
    def filename(self) -> str:
        """The download's name: the namespace's and interface's, anything but [A-Za-z0-9_.-] as `_`."""
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.target.netns or 'host'}_{self.target.ifname}") + f".{self.fmt}"


def _bounded(params: Mapping[str, str], name: str, bounds: tuple[int, int], default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    low, high = bounds
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadCapture(f"{name}= must be a whole number from {low} to {high}")
    return int(raw)


def capture_request(lab: Lab, params: Mapping[str, str]) -> CaptureRequest:
    """The capture PARAMS ask for, validated; BadCapture naming what is wrong."""
    seconds = _bounded(params, "seconds", SECONDS, DEFAULT_SECONDS)
    count = _bounded(params, "count", COUNT, DEFAULT_COUNT)
    fmt = params.get("format", "pcap")
    if fmt not in FORMATS:
        raise BadCapture(f"format= must be one of {', '.join(FORMATS)}")
    found = lab_interfaces(lab).get(params.get("iface", ""))
    if found is None:
        raise BadCapture(f"iface= must be the id of one of lab {lab.topo.name}'s interfaces on node {lab.node}", 404)
    return CaptureRequest(Target(*found), seconds, count, fmt)


def run_to_file(req: CaptureRequest) -> tuple[IO[bytes], int]:
    """Run the capture; the file it went to (at its start) and the number of packets. tcpdump
    is stopped with SIGINT (it then flushes and exits cleanly) once the time is up."""
    argv = tcpdump_argv(req.target, True, req.count, ())
    out = tempfile.TemporaryFile()
    try:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    except OSError as exc:
        out.close()
        raise TopoError(f"error: cannot run tcpdump: {exc.strerror}") from None
    timer = threading.Timer(req.seconds, lambda: child.poll() is None and child.send_signal(signal.SIGINT))
    timer.start()
    try:
        assert child.stdout is not None and child.stderr is not None
        packets = copy_stream(child.stdout, out, str(req.target) if req.fmt == "pcapng" else None)
        err = child.stderr.read().decode(errors="replace")
        status = child.wait()
    except BaseException:
        out.close()
        raise
    finally:
        timer.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    if status not in (0, -signal.SIGINT):
        out.close()
        last = [line for line in err.splitlines() if line.strip()][-1:] or [f"exit status {status}"]
        raise TopoError(f"error: tcpdump on {req.target} failed: {last[0]}")
    out.seek(0)
    return out, packets


def chunks(out: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes, a piece at a time; closed (and so gone) at the end."""
    try:
        while data := out.read(CHUNK):
            yield data
    finally:
        out.close()
