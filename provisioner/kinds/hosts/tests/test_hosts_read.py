"""The hosts kind's facts (root-free, on a file in a temporary directory): the node's entries
that are not the lab's own block, as the shadowing check reads them."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from provisioner.hostsfile import begin_marker, end_marker, read_managed_block, read_node_entries


def test_the_node_entries_leave_the_labs_own_block_out(tmp_path: Path) -> None:
    etc = tmp_path / "hosts"
    etc.write_text("127.0.0.1 localhost\n10.0.0.9 web  # the user's, with a comment\n"
                   f"{begin_marker('lab')}10.1.0.1\tweb\n10.1.0.2\tdb\n{end_marker('lab')}"
                   f"{begin_marker('other')}10.2.0.1\tcache\n{end_marker('other')}")
    entries = read_node_entries(etc, "lab")
    assert entries == {"web": (ipaddress.ip_address("10.0.0.9"),), "cache": (ipaddress.ip_address("10.2.0.1"),)}
    assert read_managed_block(etc, "lab") == "10.1.0.1\tweb\n10.1.0.2\tdb\n"
    assert read_node_entries(tmp_path / "none", "lab") == {}
