"""Capture of veth pairs from the namespaces' facts (root-free): pairing by namespace ids,
by indexes when the kernel cannot name a peer's namespace, and what the options leave out."""

import pytest

from provisioner.capture_core import Captured, CaptureError, Notes, NsName, Options
from provisioner.kinds.veth.capture import capture_pairs
from provisioner.live import LiveLink, LiveNetns
from provisioner.model import IMPLICIT_NODE, EndRef, Netns, Place

# namespace -> (ifindex, name, peer ifindex, peer's nsid as this namespace numbers it)
Ends = dict[NsName, list[tuple[int, str, int, int | None]]]
PODS: Ends = {"a": [(2, "x", 5, 0), (3, "z", 10, 7)], "b": [(5, "y", 2, 3)], None: [(10, "h", 3, 1)]}
NSIDS = {"a": {0: "b", 7: None}, "b": {3: "a"}, None: {1: "a"}}


def _captured(ends: Ends, captured: list[NsName]) -> Captured:
    live = {ns: LiveNetns(ns, links={name: LiveLink(i, name, "veth", None, 1500 if ns else 1400, f"02:00:00:00:00:{i:02x}",
                                                   True, None, peer, nsid is not None, nsid, link_index=peer)
                                     for i, name, peer, nsid in links}) for ns, links in ends.items()}
    return Captured(live, {ns: Netns(Place(IMPLICIT_NODE, ns)) for ns in captured})


def _pairs(cap: Captured, opts: Options, nsids=lambda ns, wanted: NSIDS[ns], notes: Notes | None = None) -> list[tuple]:
    pairs = capture_pairs(cap, [n for n in cap.live if n is not None] + [None], nsids, opts, notes or Notes())
    return [(p.a.place.netns, p.a.ifname, p.b.place.netns, p.b.ifname) for p in pairs]


def test_pairs_by_namespace_id_each_end_naming_the_other() -> None:
    cap = _captured(PODS, ["a", "b", None])
    assert _pairs(cap, Options()) == [("a", "x", "b", "y"), ("a", "z", None, "h")]
    x, h = cap.netns["a"].interfaces["x"], cap.netns[None].interfaces["h"]
    assert x.peer == EndRef(Place(IMPLICIT_NODE, "b"), "y") and h.peer == EndRef(Place(IMPLICIT_NODE, "a"), "z")
    assert (x.mtu, x.mac, h.mtu) == (None, "02:00:00:00:00:02", 1400)


def test_no_include_root_leaves_out_the_pairs_into_the_root_namespace() -> None:
    cap, notes = _captured(PODS, ["a", "b"]), Notes()
    assert _pairs(cap, Options(include_root=False), notes=notes) == [("a", "x", "b", "y")]
    assert notes.left_out == ["veth z in namespace a (its peer h is in the root namespace: --no-include-root)"]
    assert "z" not in cap.netns["a"].interfaces


def test_peers_out_of_reach_are_noted() -> None:
    ends: Ends = {"a": [(2, "x", 5, 0), (4, "w", 6, 9), (3, "z", 10, 7)], None: [(10, "h", 3, 1), (11, "r", 12, None),
                                                                                 (12, "s", 11, None)]}
    nsids = {"a": {0: "b", 7: None}, None: {1: "a"}}
    notes = Notes()
    assert _pairs(_captured(ends, ["a", None]), Options(named=True), lambda ns, wanted: nsids[ns], notes) == [("a", "z", None, "h")]
    assert notes.left_out == ["veth x in namespace a: its peer is in namespace b, which is not captured (not named with --netns)",
                              "veth pair r <-> s in the root namespace (it joins none of the namespaces named with --netns)"]
    assert notes.skipped == ["veth w in namespace a: its peer is in a namespace with no name under /run/netns "
                             "(nsid 9 seen from namespace a)"]


def test_without_namespace_ids_pairs_by_indexes_and_refuses_a_guess() -> None:
    assert _pairs(_captured(PODS, ["a", "b", None]), Options(), lambda ns, wanted: None) == [("a", "x", "b", "y"),
                                                                                             ("a", "z", None, "h")]
    twins = {**PODS, "c": [(5, "y", 2, 4)]}
    with pytest.raises(CaptureError, match="veth x in namespace a: its peer could be y in namespace b or y in namespace c"):
        _pairs(_captured(twins, ["a", "b", "c", None]), Options(), lambda ns, wanted: None)
