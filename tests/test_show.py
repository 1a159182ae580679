"""`topo show`: per namespace the interfaces, routes, neighbours, processes and hosts entries
of an applied lab, each checked against an independent tool (`ip -j`, /proc, the files); a lab
never applied is an error; values from the kernel and the files are printed literally."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import example
from sandbox import Sandbox

LAB = example("06")  # two pods on a bridge, each with a process and a hosts file
PODS = ("pod-httpd", "pod-nginx")


def _show(sandbox: Sandbox, *args: str) -> dict[str, Any]:
    return json.loads(sandbox.topo("show", LAB, "-o", "json", *args).stdout)


def _of(doc: dict[str, Any], section: str, ns: str) -> list[dict[str, Any]]:
    return [r for r in doc[section] if r["namespace"] == ns]


@pytest.mark.kernel
def test_show_lists_routes_neighbours_processes_and_hosts_as_the_kernel_and_files_have_them(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB)
    sandbox.run(["ip", "netns", "exec", "pod-httpd", "ping", "-c", "2", "-i", "0.2", "172.30.0.7"])
    doc = _show(sandbox)
    assert (doc["lab"], doc["node"]) == ("node-to-pod", "host")

    # the neighbour entry the ping made, as `ip -j neigh` has it, with pod-nginx's MAC
    nginx_mac = sandbox.ip_json("link", "show", "eth0", netns="pod-nginx")[0]["address"]
    kernel = {(n["dst"], n["dev"], n.get("lladdr", "")) for n in sandbox.ip_json("neigh", "show", netns="pod-httpd")}
    shown = {(n["address"], n["dev"], n["lladdr"]) for n in _of(doc, "neighbours", "pod-httpd")}
    assert ("172.30.0.7", "eth0", nginx_mac) in shown
    assert shown == kernel

    # the routes of every namespace's main table, both families, as `ip -j route` lists them
    for ns in PODS:
        kernel_routes = {(r["dst"], r.get("gateway", ""), r["dev"]) for family in ("-4", "-6")
                         for r in sandbox.ip_json(family, "route", "show", "table", "main", netns=ns)}
        shown_routes = {(r["to"], r["via"], r["dev"]) for r in _of(doc, "routes", ns) if r["table"] == "main"}
        assert shown_routes == kernel_routes, ns
        assert ("default", "172.30.0.1", "eth0") in shown_routes
    assert [r["proto"] for r in _of(doc, "routes", "pod-httpd") if r["to"] == "default"] == ["topo"]

    # the processes, with a pid /proc knows in the pod's namespace, running its command
    procs = {p["name"]: p for p in doc["processes"]}
    assert set(procs) == {"httpd", "nginx"}
    httpd = procs["httpd"]
    assert (httpd["namespace"], httpd["status"]) == ("pod-httpd", "running")
    cmdline = sandbox.run(["cat", f"/proc/{httpd['pid']}/cmdline"]).stdout.split("\0")
    assert httpd["command"] == "python3 -m http.server 80 --bind 172.30.0.6"
    assert " ".join(a for a in cmdline if a).endswith(httpd["command"])  # the process topo started (through `sh -c`)
    inode = sandbox.run(["stat", "-L", "-c", "%i", f"/proc/{httpd['pid']}/ns/net"]).stdout.strip()
    assert inode == sandbox.run(["stat", "-c", "%i", "/run/netns/pod-httpd"]).stdout.strip()

    # the hosts entries: each namespace's own file, and the lab's block of /etc/hosts
    for ns in PODS:
        lines = sandbox.run(["cat", f"/etc/netns/{ns}/hosts"]).stdout.splitlines()
        expected = {(f[0], tuple(f[1:])) for f in (line.split() for line in lines)
                    if len(f) >= 2 and not f[0].startswith("#") and f[1] != "localhost" and not f[1].startswith("ip6-")}
        assert {(h["address"], tuple(h["names"])) for h in _of(doc, "hosts", ns)} == expected
        assert expected == {("172.30.0.6", ("pod-httpd",)), ("172.30.0.7", ("pod-nginx",))}
        assert {h["file"] for h in _of(doc, "hosts", ns)} == {f"/etc/netns/{ns}/hosts"}
    etc_hosts = sandbox.run(["cat", "/etc/hosts"]).stdout
    root = _of(doc, "hosts", "(root)")
    assert {(h["address"], h["names"][0]) for h in root} == {("172.30.0.6", "pod-httpd"), ("172.30.0.7", "pod-nginx")}
    assert all(f"{h['address']}\t{h['names'][0]}" in etc_hosts for h in root)

    # the table shows the same, and YAML is the same document
    table = sandbox.topo("show", LAB).stdout
    for word in ("neighbours", nginx_mac, "processes", str(httpd["pid"]), "running", "hosts entries", "172.30.0.1"):
        assert word in table, word
    import yaml

    assert yaml.safe_load(sandbox.topo("show", LAB, "-o", "yaml").stdout)["processes"] == doc["processes"]

    # a process that ended is shown exited, with its recorded pid
    sandbox.run(["kill", "-KILL", str(httpd["pid"])])
    sandbox.run(["sh", "-c", f"while [ -e /proc/{httpd['pid']}/cmdline ] && "
                             f"! grep -q '^State:.Z' /proc/{httpd['pid']}/status; do sleep 0.05; done"], timeout=10)
    after = {p["name"]: p for p in _show(sandbox)["processes"]}
    assert (after["httpd"]["status"], after["httpd"]["pid"]) == ("exited", httpd["pid"])
    assert after["nginx"]["status"] == "running"


@pytest.mark.kernel
def test_show_of_a_lab_never_applied_says_so_and_exits_1(sandbox: Sandbox) -> None:
    for fmt in ((), ("-o", "json"), ("-o", "wide")):
        res = sandbox.topo("show", LAB, *fmt, check=False)
        assert res.returncode == 1, fmt
        assert res.stdout == "", fmt
        assert "lab node-to-pod is not applied" in res.stderr and f"topo apply {LAB}" in res.stderr
        assert "Traceback" not in res.stderr
    sandbox.topo("apply", LAB)
    sandbox.topo("destroy", LAB)
    gone = sandbox.topo("show", LAB, "-o", "json", check=False)
    assert gone.returncode == 1 and "is not applied" in gone.stderr


@pytest.mark.kernel
def test_hostile_alias_and_hosts_names_are_printed_literally(sandbox: Sandbox) -> None:
    sandbox.topo("apply", LAB)
    alias = "[bold red]owned[/bold red]"
    sandbox.run(["ip", "-n", "pod-nginx", "link", "set", "eth0", "alias", alias])
    sandbox.run(["sh", "-c", "printf '10.9.9.9\\t[link=http://x]click[/link] ev\\033[31mil\\n' >> /etc/netns/pod-httpd/hosts"])
    wide = sandbox.topo("show", LAB, "-o", "wide")
    assert alias in wide.stdout
    assert "[link=http://x]click[/link]" in wide.stdout
    assert "ev\\x1b[31mil" in wide.stdout and "\x1b" not in wide.stdout + wide.stderr
    doc = _show(sandbox)
    assert next(r for r in doc["interfaces"] if r["namespace"] == "pod-nginx" and r["interface"] == "eth0")["alias"] == alias
    assert ("10.9.9.9", ["[link=http://x]click[/link]", "ev\x1b[31mil"]) in [(h["address"], h["names"]) for h in doc["hosts"]]


def _neigh_message(family: int, index: int, state: int, dst: bytes, lladdr: bytes) -> bytes:
    """An RTM_NEWNEIGH message as the kernel sends it (header, ndmsg, NDA_DST, NDA_LLADDR)."""
    import struct

    def attr(kind: int, value: bytes) -> bytes:
        return struct.pack("=HH", 4 + len(value), kind) + value + b"\0" * (-len(value) % 4)

    body = struct.pack("=BxxxiHBB", family, index, state, 0, 1) + attr(1, dst) + attr(2, lladdr)
    return struct.pack("=IHHII", 16 + len(body), 28, 2, 1, 0) + body


def test_neighbour_messages_decode_to_address_mac_and_state() -> None:
    """Root-free: NDA_DST and NDA_LLADDR of both families; an AF_BRIDGE entry is not a neighbour."""
    import socket

    from provisioner.show.neigh import parse_neighbour, state_names

    v4 = _neigh_message(socket.AF_INET, 3, 0x02, socket.inet_aton("10.42.0.7"), bytes.fromhex("0a0b0c0d0e0f"))
    got = parse_neighbour(v4, 0, len(v4))
    assert got is not None and (got.index, got.address, got.lladdr, state_names(got.state)) == \
        (3, "10.42.0.7", "0a:0b:0c:0d:0e:0f", ["REACHABLE"])
    v6 = _neigh_message(socket.AF_INET6, 2, 0x04, socket.inet_pton(socket.AF_INET6, "fe80::1"), bytes(6))
    got6 = parse_neighbour(v6, 0, len(v6))
    assert got6 is not None and (got6.address, state_names(got6.state)) == ("fe80::1", ["STALE"])
    bridge = _neigh_message(7, 2, 0x80, socket.inet_aton("192.0.2.1"), bytes(6))
    assert parse_neighbour(bridge, 0, len(bridge)) is None


def test_hosts_rows_keep_the_lines_as_written_without_comments_and_localhost() -> None:
    """Root-free: a topo-written hosts file's entries, a hostile name kept as it is (escaped only when printed)."""
    from provisioner.show.collect import _hosts_rows

    text = ("# Kubernetes-style hosts file managed by topo (lab x); edits are reverted by apply.\n"
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\n"
            "10.0.0.2\tpod-a\n10.0.0.9 [red]x[/red] other # note\n")
    rows = [(r.address, r.names) for r in _hosts_rows("pod-a", "/etc/netns/pod-a/hosts", text)]
    assert rows == [("10.0.0.2", ("pod-a",)), ("10.0.0.9", ("[red]x[/red]", "other"))]


def test_a_capture_request_names_a_lab_interface_and_stays_in_bounds() -> None:
    """Root-free: the page's capture parameters (ui/capture.py): an interface of the lab by its
    page id, seconds 1..60, count 1..10000, pcap or pcapng; anything else refused."""
    import yaml

    from provisioner.node import topology_of
    from provisioner.render.graph import iface_id
    from provisioner.ui.capture import BadCapture, capture_request
    from provisioner.ui.view import Lab
    from sandbox import REPO

    topo = topology_of(yaml.safe_load((REPO / LAB).read_text()))
    lab = Lab(REPO / LAB, topo, "host")
    eth0 = iface_id("host", "pod-httpd", "eth0")
    req = capture_request(lab, {"iface": eth0, "seconds": "5", "count": "20", "format": "pcapng"})
    assert (req.target.netns, req.target.ifname, req.seconds, req.count, req.filename) == \
        ("pod-httpd", "eth0", 5, 20, "pod-httpd_eth0.pcapng")
    assert capture_request(lab, {"iface": iface_id("host", None, "br-minikube")}).target.netns is None
    for params, status in (({"iface": "eth0"}, 404), ({"iface": iface_id("host", None, "lo")}, 404), ({}, 404),
                           ({"iface": eth0, "seconds": "0"}, 400), ({"iface": eth0, "seconds": "61"}, 400),
                           ({"iface": eth0, "count": "10001"}, 400), ({"iface": eth0, "count": "-1"}, 400),
                           ({"iface": eth0, "seconds": "٣"}, 400), ({"iface": eth0, "format": "txt"}, 400)):
        with pytest.raises(BadCapture) as refused:
            capture_request(lab, params)
        assert refused.value.status == status, params
