"""The impair kind's capture, root-free: a drop on a veth end's ingress is the loss of what its
peer sends, one on an egress hook the device's own; a qdisc of another tool that carries the
file's impairments is found so (the plan reports it unmanaged), one that does not is not; a tbf's
queue length reads back as the file's `limit`."""

from __future__ import annotations

from provisioner.capture_core import Notes
from provisioner.kinds.impair.capture import _drops
from provisioner.kinds.impair.diff import carries
from provisioner.kinds.impair.drop import DropChain, DropTable, lab_of_table
from provisioner.kinds.impair.model import Impairment
from provisioner.kinds.impair.read import RawQdisc
from provisioner.kinds.impair.tc import Netem, Tbf
from provisioner.kinds.testing import topology
from provisioner.model import EndRef, Place

LAB = """
name: imp
namespaces: {client: {}, server: {}}
links:
  - a: client:eth0
    b: server:eth0
"""


def test_impair_capture_drops_are_the_senders_loss() -> None:
    topo = topology(LAB)
    client = Place("host", "client")
    table = DropTable({"ingress-eth0": DropChain("eth0", "ingress", 300_000), "egress-eth9": DropChain("eth9", "egress", 10_000),
                       "odd": None}, marked=True)
    notes = Notes()
    assert _drops(topo, client, {"other": table}, notes) == {
        EndRef(Place("host", "server"), "eth0"): 30.0, EndRef(client, "eth9"): 1.0}
    assert notes.skipped == ["chain odd of lab other's nftables table in namespace client: not one random drop of topo's"]
    assert [lab_of_table(n) for n in ("topo-impair-lab-impair", "topo--impair", "filter")] == ["impair-lab", None, None]


def test_impair_capture_another_tools_qdisc_carries_the_file_or_not() -> None:
    want = Tbf.of(Impairment(rate=10_000_000))
    theirs = RawQdisc(3, 0x8001 << 16, "tbf", Tbf(want.rate, 20_000, 99).encode())  # tc's own burst and queue
    assert carries(theirs, want)
    assert not carries(RawQdisc(3, 0x8001 << 16, "tbf", Tbf(want.rate // 2, 20_000, 99).encode()), want)
    assert not carries(RawQdisc(3, 0x8001 << 16, "netem", Netem(rate=want.rate).encode()), want)
    netem = Netem.of(Impairment(delay=50_000))
    assert carries(RawQdisc(3, 0x8001 << 16, "netem", netem.encode()), netem)


def test_impair_capture_tbf_limit_reads_back() -> None:
    for imp in (Impairment(rate=10_000_000), Impairment(rate=10_000_000, limit=100)):
        assert Tbf.of(imp).impairment() == imp
