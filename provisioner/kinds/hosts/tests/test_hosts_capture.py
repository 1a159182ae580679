"""Capture of hosts entries from a namespace's hosts text and /etc/hosts's topo blocks (root-free)."""

from ipaddress import ip_address
from pathlib import Path

import pytest

from provisioner.capture_core import Notes
from provisioner.kinds.hosts.capture import block_labs, capture_entries, capture_root_hosts

ETC = """127.0.0.1 localhost
10.9.9.9 users-own
# BEGIN topo lab one (managed by topo; do not edit)
10.0.0.1\tweb
# END topo lab one
# BEGIN topo lab two (managed by topo; do not edit; topo ended the line above)
10.0.0.2\tdb
not-an-ip\tx
# END topo lab two
"""


def test_namespace_entries_without_localhost_and_bad_lines_noted() -> None:
    notes = Notes()
    text = "127.0.0.1 localhost\n::1 ip6-localhost\n10.1.1.1 a b\nbad c\n10.1.1.2 a\n"
    entries = capture_entries("/etc/netns/x/hosts", text, notes)
    assert entries == {"a": (ip_address("10.1.1.1"), ip_address("10.1.1.2")), "b": (ip_address("10.1.1.1"),)}
    assert notes.skipped == ["/etc/netns/x/hosts line 4: 'bad' is not an IP address"]
    assert capture_entries("/etc/netns/y/hosts", None, notes) == {}


def test_block_labs_in_file_order_once() -> None:
    assert block_labs(ETC + ETC) == ["one", "two"]


def test_root_entries_are_every_labs_block_not_the_users_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "hosts"
    etc.write_text(ETC)
    notes = Notes()
    assert capture_root_hosts(etc, notes) == {"web": (ip_address("10.0.0.1"),), "db": (ip_address("10.0.0.2"),)}
    assert notes.skipped == ["/etc/hosts line 3: 'not-an-ip' is not an IP address"]  # counted over the blocks


def test_no_etc_hosts_is_no_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert capture_root_hosts(tmp_path / "missing", Notes()) == {}
