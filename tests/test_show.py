"""`topo show`: per namespace the interfaces, routes, neighbours, processes and hosts entries
of an applied lab, each checked against an independent tool (`ip -j`, /proc, the files); a lab
never applied is an error; values from the kernel and the files are printed literally."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import example
from sandbox import Sandbox

pytestmark = pytest.mark.kernel

LAB = example("06")  # two pods on a bridge, each with a process and a hosts file
PODS = ("pod-httpd", "pod-nginx")


def _show(sandbox: Sandbox, *args: str) -> dict[str, Any]:
    return json.loads(sandbox.topo("show", LAB, "-o", "json", *args).stdout)


def _of(doc: dict[str, Any], section: str, ns: str) -> list[dict[str, Any]]:
    return [r for r in doc[section] if r["namespace"] == ns]


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
