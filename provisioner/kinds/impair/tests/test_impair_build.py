"""File -> impairments: a link's (both ends), an end's, a namespace's by interface name; the
values in plain units; and netem's presence told from files only."""

from __future__ import annotations

import gzip
from pathlib import Path

from provisioner.kinds.impair.model import Chance, Impairment
from provisioner.kinds.impair.read import netem_present
from provisioner.kinds.testing import topology

LAB = """
name: imp
namespaces:
  left: {}
  right:
    impair:
      eth1: {delay: 20ms, jitter: 2ms, loss: {percent: '1.5%', correlation: 25}}
links:
  - a: left:eth0
    b: right:eth0
    impair: {rate: 10mbit, limit: 100}
  - a: {at: left:eth1, impair: {duplicate: 2, corrupt: 0.1}}
    b: right:eth1
"""


def test_impair_build_places_each_impairment() -> None:
    got = {(i.place.netns, i.ifname): i.impairment for i in topology(LAB).impairments}
    assert got == {
        ("left", "eth0"): Impairment(rate=10_000_000, limit=100),
        ("right", "eth0"): Impairment(rate=10_000_000, limit=100),
        ("left", "eth1"): Impairment(duplicate=Chance(2), corrupt=Chance(0.1)),
        ("right", "eth1"): Impairment(delay=20_000, jitter=2_000, loss=Chance(1.5, 25)),
    }


def test_impair_netem_presence_from_files(tmp_path: Path) -> None:
    assert netem_present(tmp_path, "6.1.0") is None  # nothing tells
    (tmp_path / "proc").mkdir()
    with gzip.open(tmp_path / "proc/config.gz", "wt") as fh:
        fh.write("CONFIG_NET_SCH_TBF=y\n# CONFIG_NET_SCH_NETEM is not set\n")
    assert netem_present(tmp_path, "6.1.0") is False
    mods = tmp_path / "lib/modules/6.1.0"
    mods.mkdir(parents=True)
    (mods / "modules.dep").write_text("kernel/net/sched/sch_netem.ko:\n")
    assert netem_present(tmp_path, "6.1.0") is True
    (mods / "modules.dep").unlink()
    (tmp_path / "proc/modules").write_text("sch_netem 24576 0 - Live 0x0\n")
    assert netem_present(tmp_path, "6.1.0") is True
