"""`topo save` of hosts entries: a namespace's /etc/netns/NS/hosts without the standard
localhost lines, and for the root namespace the entries in topo's blocks of /etc/hosts
(the user's own lines are not a lab's)."""

from __future__ import annotations

from pathlib import Path

from ...capture_core import Notes
from ...hostsfile import HostsEntries, UnsafeHostsEntry, parse_entries, read_managed_block

_BEGIN = "# BEGIN topo lab "


def capture_entries(where: str, text: str | None, notes: Notes) -> HostsEntries:
    """The entries of a hosts file's text (None: there is none); a line whose first field is
    not an address is noted."""
    if text is None:
        return {}
    entries, bad = parse_entries(text)
    notes.skipped.extend(f"{where} line {number}: '{field}' is not an IP address" for number, field in bad)
    return entries


def block_labs(text: str) -> list[str]:
    """The labs whose block begins in a hosts file's text, in file order, each once (their
    blocks are read by hostsfile, which checks the markers)."""
    labs = [line[len(_BEGIN):].split(" ", 1)[0] for line in text.split("\n") if line.startswith(_BEGIN)]
    return list(dict.fromkeys(lab for lab in labs if lab))


def managed_blocks(etc_hosts: Path, text: str) -> str:
    """Every lab's block of /etc/hosts (`text`: the file as read), joined in file order."""
    bodies = []
    for lab in block_labs(text):
        try:
            body = read_managed_block(etc_hosts, lab)
        except (UnsafeHostsEntry, OSError):  # not a lab name topo writes; the file went away
            continue
        if body is not None:
            bodies.append(body)
    return "".join(bodies)


def capture_root_hosts(etc_hosts: Path, notes: Notes) -> HostsEntries:
    """The entries of topo's blocks of /etc/hosts, whichever lab wrote them."""
    try:
        text = etc_hosts.read_text(errors="replace")
    except OSError:
        return {}
    return capture_entries("/etc/hosts", managed_blocks(etc_hosts, text), notes)
