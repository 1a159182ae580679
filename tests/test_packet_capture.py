"""`topo capture FILE [NS:]IF`: known UDP datagrams sent between two lab namespaces are read back
from the capture file, by `tcpdump -r` and by a small pcapng reader of this test's own; the
capture stops cleanly on SIGINT; only a lab's interfaces are captured; the old state-snapshot
form names `topo save`."""

from __future__ import annotations

import os
import select
import struct
import time
from pathlib import Path

import pytest

from sandbox import TOPO, Sandbox

pytestmark = pytest.mark.kernel

LAB = """\
name: pcap-lab
namespaces:
  left:
    interfaces: {eth0: {addresses: [10.99.0.1/24]}}
  right:
    interfaces: {eth0: {addresses: [10.99.0.2/24]}}
links:
  - {a: left:eth0, b: right:eth0}
"""

PAYLOAD = "topo-pcap-{}"

SEND = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for i in range(int(sys.argv[1])):\n"
        "    s.sendto(('topo-pcap-%d' % i).encode(), ('10.99.0.2', 5555))\n")


@pytest.fixture
def lab(sandbox: Sandbox, tmp_path: Path) -> str:
    path = tmp_path / "pcap-lab.yaml"
    path.write_text(LAB)
    return str(path)


def send(sandbox: Sandbox, n: int) -> None:
    sandbox.topo("exec", "left", "--", "python3", "-c", SEND, str(n))


def start_capture(sandbox: Sandbox, *args: str) -> tuple[object, str]:
    """Start `topo capture ARGS` in the sandbox; its pid there, once tcpdump listens."""
    proc = sandbox.popen(["sh", "-c", 'echo "$$"; exec "$0" "$@"', TOPO, "capture", *args])
    assert proc.stdout is not None and proc.stderr is not None
    pid = proc.stdout.readline().strip()
    seen = ""
    deadline = time.monotonic() + 20
    while "listening on" not in seen:
        ready, _, _ = select.select([proc.stderr], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"tcpdump did not start: {seen!r}"
        chunk = os.read(proc.stderr.fileno(), 4096).decode()  # unbuffered: select sees all that is left
        assert chunk, f"topo capture ended: {seen!r}"
        seen += chunk
    return proc, pid


def pcapng_packets(data: bytes) -> list[bytes]:
    """The packets of a pcapng file's enhanced packet blocks (this test's own reader)."""
    assert struct.unpack("<I", data[:4])[0] == 0x0A0D0D0A and struct.unpack("<I", data[8:12])[0] == 0x1A2B3C4D
    out, at = [], 0
    while at < len(data):
        kind, size = struct.unpack("<II", data[at:at + 8])
        assert size >= 12 and at + size <= len(data), "a block runs past the end of the file"
        assert struct.unpack("<I", data[at + size - 4:at + size])[0] == size
        if kind == 6:
            captured = struct.unpack("<I", data[at + 20:at + 24])[0]
            out.append(data[at + 28:at + 28 + captured])
        at += size
    return out


def test_capture_to_pcapng_stops_cleanly_on_sigint(sandbox: Sandbox, lab: str, tmp_path: Path) -> None:
    sandbox.topo("apply", lab)
    out = tmp_path / "right.pcapng"
    proc, pid = start_capture(sandbox, lab, "right:eth0", "-w", str(out), "--", "udp", "port", "5555")
    send(sandbox, 5)
    time.sleep(0.5)
    sandbox.run(["kill", "-INT", pid])
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Captured 5 packets on right:eth0" in err
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    packets = pcapng_packets(out.read_bytes())
    assert [p[-len(PAYLOAD.format(i)):] for i, p in enumerate(packets)] == [PAYLOAD.format(i).encode() for i in range(5)]
    text = sandbox.run(["tcpdump", "-n", "-A", "-r", str(out)]).stdout
    assert all(PAYLOAD.format(i) in text for i in range(5)) and text.count("10.99.0.1.") == 5
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".right.pcapng")], "a temporary file was left"


def test_capture_to_pcap_and_as_text(sandbox: Sandbox, lab: str, tmp_path: Path) -> None:
    sandbox.topo("apply", lab)
    out = tmp_path / "left.pcap"
    proc, _ = start_capture(sandbox, lab, "left:eth0", "-c", "3", "-w", str(out), "--", "udp")
    send(sandbox, 3)
    proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out.read_bytes()[:4] == struct.pack("=I", 0xA1B2C3D4)
    assert "topo-pcap-2" in sandbox.run(["tcpdump", "-n", "-A", "-r", str(out)]).stdout
    proc, _ = start_capture(sandbox, lab, "right:eth0", "-c", "2", "--", "udp", "port", "5555")
    send(sandbox, 2)
    lines, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert lines.count("10.99.0.1.") == 2 and "10.99.0.2.5555: UDP" in lines


def test_capture_refuses_what_is_not_a_lab_interface(sandbox: Sandbox, lab: str) -> None:
    before = sandbox.topo("capture", lab, "right:eth0", check=False)
    assert before.returncode == 1 and "lab pcap-lab is not applied on this machine" in before.stderr
    sandbox.topo("apply", lab)
    for spec, words in (("host:lo", "is not an interface of lab pcap-lab"), ("eth1", "is not an interface of lab"),
                        ("nope:eth0", "the lab's: left:lo, left:eth0, right:lo, right:eth0"), ("eth0", "names 2 interfaces")):
        res = sandbox.topo("capture", lab, spec, check=False)
        assert res.returncode == 1 and words in res.stderr and lab in res.stderr, res.stderr
        assert "Traceback" not in res.stderr


def test_capture_never_writes_through_a_planted_link(sandbox: Sandbox, lab: str, tmp_path: Path) -> None:
    sandbox.topo("apply", lab)
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    planted = tmp_path / "out.pcapng"
    planted.symlink_to(victim)
    res = sandbox.topo("capture", lab, "right:eth0", "-c", "1", "-w", str(planted), check=False)
    assert res.returncode == 1 and "is a symbolic link" in res.stderr
    assert victim.read_text() == "keep me\n" and planted.is_symlink()


def test_state_snapshot_form_names_topo_save(sandbox: Sandbox, tmp_path: Path) -> None:
    for args in ((), ("-o", str(tmp_path / "x.yaml")), ("--netns", "pod1"), ("--no-include-root",)):
        res = sandbox.topo("capture", *args, check=False)
        assert res.returncode == 2 and "topo save" in res.stderr, (args, res.stderr)
    assert not (tmp_path / "x.yaml").exists()
    saved = sandbox.topo("save", "-o", str(tmp_path / "x.yaml"))
    assert "Saved" in saved.stderr and (tmp_path / "x.yaml").exists()
