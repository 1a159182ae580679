"""Hostile input never escapes the files topo owns.

Hosts files: no declared value (a name, an address with a scope id holding a newline, a
300,000-character name, NUL or DEL) can add a line to a hosts file or forge the BEGIN/END
markers of a lab's block; the writer refuses it or writes exactly one line per entry, and
the reader reads lines as the C library does. Paths: a link planted at /etc/netns/NS,
/etc/netns/NS/hosts, /run/netns/NS or /run/topo/lock is refused with a clear message and
nothing is written through it; another tool's files in /etc/netns/NS, and a directory there
that topo did not make, survive apply and destroy byte for byte."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner import hostsfile
from provisioner.hostsfile import (UnsafeHostsEntry, check_entry_lines, parse_entries, remove_netns_dir,
                                   render_block_body, render_netns_hosts, set_managed_block, write_atomic,
                                   write_netns_hosts)
from provisioner.names import hosts_name_problem
from provisioner.safefs import UnsafePath
from sandbox import Sandbox

ENTRY = re.compile(r"([0-9a-f.:]+)\t([A-Za-z0-9_.-]+)\n")
INJECTED_SCOPE = "eth0\n203.0.113.66\twww.example.com web\n# END topo lab hostsinj"

HOSTILE_NAMES = [
    "web\n203.0.113.66\twww.example.com", "# END topo lab hostsinj", "a b", "a\tb", "a\x00b", "a\x7fb",
    "a\x0cb", "a\x0bb", "a\rb", "a\u2028b", "a\x85b", "x" * 300_000, "-rf", "a..b", "", ".", "a#b",
]
HOSTILE_ADDRESSES = [
    ipaddress.ip_address("fe80::1%" + INJECTED_SCOPE),
    ipaddress.ip_address("fe80::1%eth0"),
    ipaddress.ip_address("fe80::1%a\x00b"),
    "10.0.0.1\n10.0.0.2\tevil",  # not an address object at all
]


def checked_lines(text: str) -> list[tuple[str, str]]:
    """Every line of `text` as (address, name), asserting it is an entry line of checked parts."""
    out = []
    for line in text.splitlines(keepends=True):
        m = ENTRY.fullmatch(line)
        assert m is not None, f"not an entry line: {line!r}"
        addr = ipaddress.ip_address(m.group(1))
        assert str(addr) == m.group(1) and getattr(addr, "scope_id", None) is None
        assert hosts_name_problem(m.group(2)) is None
        out.append((m.group(1), m.group(2)))
    return out


# ---- the writer: refuses, or one checked line per entry -----------------------------------------
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:20]))
def test_hostile_names_are_refused_by_the_writer(name: str) -> None:
    with pytest.raises(UnsafeHostsEntry):
        render_block_body({name: (ipaddress.ip_address("10.0.0.1"),)})
    with pytest.raises(UnsafeHostsEntry):
        render_netns_hosts("lab", {name: (ipaddress.ip_address("10.0.0.1"),)})


@pytest.mark.parametrize("addr", HOSTILE_ADDRESSES, ids=lambda a: repr(str(a)[:20]))
def test_scoped_and_forged_addresses_are_refused_by_the_writer(addr: object) -> None:
    with pytest.raises(UnsafeHostsEntry):
        render_block_body({"web": (addr,)})  # type: ignore[dict-item]


@pytest.mark.parametrize("lab", ["x\n# END topo lab y", "a b", "../etc", "x" * 40])
def test_a_hostile_lab_name_makes_no_marker(lab: str) -> None:
    with pytest.raises(UnsafeHostsEntry):
        render_netns_hosts(lab, {})
    with pytest.raises(UnsafeHostsEntry):
        hostsfile.begin_marker(lab)


@pytest.mark.parametrize("body", [
    "10.0.0.1\tweb\n# END topo lab lab\n203.0.113.66\tfake\n",
    "10.0.0.1\tweb\n203.0.113.66\twww.example.com web\n",  # two names on one line: not what topo renders
    "10.0.0.1\tweb",  # no newline: the next line would join it
    "fe80::1%eth0\tweb\n", "10.0.0.01\tweb\n", "10.0.0.1\tweb\x00\n", "10.0.0.1\tweb\r\n", "10.0.0.1 web\n",
])
def test_write_time_check_refuses_any_line_topo_does_not_render(body: str, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1\tlocalhost\n")
    with pytest.raises(UnsafeHostsEntry):
        set_managed_block(hosts, "lab", body)
    with pytest.raises(UnsafeHostsEntry):
        write_netns_hosts(tmp_path / "netns", "pod", render_netns_hosts("lab", {}) + body)
    assert hosts.read_text() == "127.0.0.1\tlocalhost\n" and not (tmp_path / "netns").exists()


names = st.text(st.characters(codec="utf-8"), min_size=0, max_size=70) | st.sampled_from(HOSTILE_NAMES)
scopes = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)


@st.composite
def addresses(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["v4", "v6", "scoped"]))
    if kind == "v4":
        return ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
    base = ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1)))
    if kind == "v6":
        return base
    try:
        return ipaddress.IPv6Address(f"{base}%{draw(scopes)}")
    except ValueError:
        return base


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.dictionaries(names, st.lists(addresses(), min_size=1, max_size=3).map(tuple), max_size=4))
def test_no_declared_value_adds_a_line_or_forges_a_marker(entries: dict[str, tuple[object, ...]], tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    user = "127.0.0.1\tlocalhost\n# a user's line\n"
    hosts.write_text(user)
    try:
        body = render_block_body(entries)  # type: ignore[arg-type]
    except UnsafeHostsEntry:
        return
    set_managed_block(hosts, "hostsinj", body)
    text = hosts.read_text()
    assert text.startswith(user)
    block = text[len(user):].splitlines(keepends=True)
    assert block[0].startswith("# BEGIN topo lab hostsinj ") and block[-1] == "# END topo lab hostsinj\n"
    assert sum(len(a) for a in entries.values()) == len(block) - 2
    assert sorted(checked_lines("".join(block[1:-1]))) == sorted((str(a), n) for n, aa in entries.items() for a in aa)
    assert text.count("# BEGIN topo") == 1 and text.count("# END topo") == 1
    assert parse_entries(text)[0] == {n: tuple(dict.fromkeys(a)) for n, a in entries.items()}


# ---- the reader: reads lines as the C library does ------------------------------------------
@pytest.mark.parametrize("text,entries,bad", [
    # a form feed is a field separator, not a line end: b is no name of 10.0.0.2
    ("10.0.0.1 a\x0c10.0.0.2 b\n", {n: (ipaddress.ip_address("10.0.0.1"),) for n in ("a", "10.0.0.2", "b")}, []),
    ("10.0.0.1 a\u202810.0.0.2 b\n", {"b": (ipaddress.ip_address("10.0.0.1"),)}, []),
    ("10.0.0.1 ok\x85x\n", {}, []),
    ("fe80::1%eth0 web\n", {}, [(1, "fe80::1%eth0")]),  # scoped: the C library skips the line
    ("10.0.0.1 web\x00 good\n", {"good": (ipaddress.ip_address("10.0.0.1"),)}, []),
    ("10.0.0.1\x0bweb\r\n", {"web": (ipaddress.ip_address("10.0.0.1"),)}, []),
    ("10.0.0.1 " + "x" * 300 + "\n", {}, []),
])
def test_the_reader_is_not_fooled(text: str, entries: dict[str, object], bad: list[tuple[int, str]]) -> None:
    assert parse_entries(text) == (entries, bad)


def test_an_end_marker_inside_a_line_does_not_end_the_block(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(hostsfile.begin_marker("lab") + "10.0.0.1\tweb\n" + "10.0.0.9\tx # END topo lab lab\n"
                     + hostsfile.end_marker("lab") + "# user\n")
    assert hostsfile.read_managed_block(hosts, "lab") == "10.0.0.1\tweb\n10.0.0.9\tx # END topo lab lab\n"
    set_managed_block(hosts, "lab", None)
    assert hosts.read_text() == "# user\n"


# ---- no-follow writes, on real files -------------------------------------------------------
def test_write_atomic_refuses_a_link_and_writes_nothing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("victim\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").symlink_to(victim)
    with pytest.raises(UnsafePath, match="is a symbolic link"):
        write_atomic(tmp_path / "d" / "f", "new\n")
    (tmp_path / "linked-dir").symlink_to(tmp_path / "d")
    with pytest.raises(UnsafePath, match="linked-dir is a symbolic link"):
        write_atomic(tmp_path / "linked-dir" / "g", "new\n")
    assert victim.read_text() == "victim\n" and sorted(os.listdir(tmp_path / "d")) == ["f"]


def test_in_place_rewrite_refuses_a_hard_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("victim\n")
    os.link(victim, tmp_path / "hosts")
    with pytest.raises(UnsafePath, match="2 hard links"):
        hostsfile._write_in_place(os.open(tmp_path, os.O_RDONLY), "hosts", tmp_path / "hosts", b"new\n")
    assert victim.read_text() == "victim\n"


def test_netns_dir_removal_keeps_what_topo_did_not_write(tmp_path: Path) -> None:
    text = render_netns_hosts("lab", {"web": (ipaddress.ip_address("10.0.0.1"),)})
    write_netns_hosts(tmp_path, "mine", text)  # made by topo: removed with its file
    remove_netns_dir(tmp_path, "mine")
    assert not (tmp_path / "mine").exists()
    (tmp_path / "theirs").mkdir()  # made by another tool: stays, with its file
    (tmp_path / "theirs" / "resolv.conf").write_bytes(b"nameserver 192.0.2.53\n")
    write_netns_hosts(tmp_path, "theirs", text)
    remove_netns_dir(tmp_path, "theirs")
    assert os.listdir(tmp_path / "theirs") == ["resolv.conf"]
    (tmp_path / "empty").mkdir()
    write_netns_hosts(tmp_path, "empty", text)
    remove_netns_dir(tmp_path, "empty")
    assert (tmp_path / "empty").is_dir() and not os.listdir(tmp_path / "empty")
    write_netns_hosts(tmp_path, "mine", text)  # topo's, with another tool's file added: the directory stays
    (tmp_path / "mine" / "resolv.conf").write_text("x\n")
    remove_netns_dir(tmp_path, "mine")
    assert os.listdir(tmp_path / "mine") == ["resolv.conf"]


# ---- in the sandbox: topo's own commands --------------------------------------------------
LAB = """name: fslab
hosts: {node-web.test: 10.1.0.3}
namespaces:
  pod:
    hosts: {web.pod: 10.1.0.2}
"""


def clean_failure(res: object, *words: str) -> None:
    out = f"{res.stdout}\n{res.stderr}"  # type: ignore[attr-defined]
    assert res.returncode == 1, out  # type: ignore[attr-defined]
    assert "Traceback" not in out and "internal error" not in out, out
    for w in words:
        assert w in res.stderr, out  # type: ignore[attr-defined]


@pytest.fixture
def lab(tmp_path: Path) -> str:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB)
    return str(path)


def listing(box: Sandbox, path: str) -> str:
    return box.run(["sh", "-c", f"cd {path} && find . | sort && find . -type f | sort | xargs -r md5sum"]).stdout


@pytest.mark.kernel
def test_symlinked_netns_dir_is_refused_and_nothing_written_into_its_target(sandbox: Sandbox, lab: str,
                                                                           tmp_path: Path) -> None:
    victim = tmp_path / "victim-dir"
    victim.mkdir()
    sandbox.run(["ln", "-s", str(victim), "/etc/netns/pod"])
    hosts_before = sandbox.run(["cat", "/etc/hosts"]).stdout
    res = sandbox.topo("apply", lab, check=False)
    clean_failure(res, "/etc/netns/pod is a symbolic link", str(victim))
    assert os.listdir(victim) == []
    sandbox.topo("destroy", "-q", lab)  # the namespace apply made goes; the link is not topo's
    assert os.listdir(victim) == [] and sandbox.run(["cat", "/etc/hosts"]).stdout == hosts_before
    assert sandbox.run(["readlink", "/etc/netns/pod"]).stdout.strip() == str(victim)
    assert sandbox.run(["ls", "-A", "/run/netns"]).stdout == ""


@pytest.mark.kernel
def test_symlinked_netns_hosts_file_is_refused(sandbox: Sandbox, lab: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("victim\n")
    sandbox.run(["sh", "-c", f"mkdir /etc/netns/pod && ln -s {victim} /etc/netns/pod/hosts"])
    clean_failure(sandbox.topo("apply", lab, check=False), "/etc/netns/pod/hosts is a symbolic link")
    assert victim.read_text() == "victim\n"


@pytest.mark.kernel
def test_another_tools_files_and_directory_survive_apply_and_destroy(sandbox: Sandbox, lab: str) -> None:
    root = Path(f"/proc/{sandbox.pid}/root")
    resolv = b"nameserver 192.0.2.53\r\n\x01\xff"
    sandbox.run(["mkdir", "/etc/netns/pod", "/etc/netns/other", "/etc/netns/pod/sub"])
    (root / "etc/netns/pod/resolv.conf").write_bytes(resolv)
    before = listing(sandbox, "/etc/netns")
    plan = sandbox.topo("plan", lab, check=False)
    assert "resolv.conf" not in plan.stdout + plan.stderr
    sandbox.topo("apply", "-q", lab)
    assert "web.pod" in (root / "etc/netns/pod/hosts").read_text()
    assert (root / "etc/netns/pod/resolv.conf").read_bytes() == resolv
    sandbox.topo("destroy", "-q", lab)
    assert (root / "etc/netns/pod/resolv.conf").read_bytes() == resolv
    assert listing(sandbox, "/etc/netns") == before


@pytest.mark.kernel
def test_empty_netns_dir_topo_did_not_make_stays(sandbox: Sandbox, lab: str) -> None:
    sandbox.run(["mkdir", "/etc/netns/pod"])
    sandbox.topo("apply", "-q", lab)
    sandbox.topo("destroy", "-q", lab)
    assert sandbox.run(["sh", "-c", "cd /etc/netns && find . | sort"]).stdout == ".\n./pod\n"


@pytest.mark.kernel
def test_symlinked_lock_is_refused_and_its_target_unchanged(sandbox: Sandbox, lab: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious data\n")
    sandbox.run(["ln", "-s", str(victim), "/run/topo/lock"])
    clean_failure(sandbox.topo("apply", lab, check=False), "/run/topo/lock is a symbolic link")
    assert victim.read_bytes() == b"precious data\n"
    assert sandbox.run(["ls", "-A", "/run/netns"]).stdout == ""


@pytest.mark.kernel
def test_symlinked_run_netns_entry_is_not_followed_nor_removed(sandbox: Sandbox, lab: str) -> None:
    sandbox.run(["ln", "-s", "/proc/1/ns/net", "/run/netns/pod"])
    clean_failure(sandbox.topo("apply", lab, check=False), "/run/netns/pod is a symbolic link")
    assert sandbox.run(["findmnt", "-n", "/run/netns/pod"], check=False).stdout == ""
    sandbox.topo("destroy", "-q", lab)
    assert sandbox.run(["readlink", "/run/netns/pod"]).stdout.strip() == "/proc/1/ns/net"


@pytest.mark.kernel
def test_scope_id_newline_injects_nothing_into_any_hosts_file(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "inj.yaml"
    scope = INJECTED_SCOPE.replace("\n", "\\n").replace("\t", "\\t")
    path.write_text(f'name: hostsinj\nhosts:\n  web: "fe80::1%{scope}"\n'
                    f'namespaces:\n  pod:\n    hosts:\n      web: "fe80::1%{scope}"\n')
    hosts_before = sandbox.run(["cat", "/etc/hosts"]).stdout
    res = sandbox.topo("apply", str(path), check=False)
    out = res.stdout + res.stderr
    assert res.returncode == 1 and "Traceback" not in out and "internal error" not in out, out
    sandbox.topo("destroy", "-q", "hostsinj", check=False)
    assert sandbox.run(["cat", "/etc/hosts"]).stdout == hosts_before
    assert sandbox.run(["sh", "-c", "cat /etc/netns/*/hosts 2>/dev/null; true"]).stdout == ""
