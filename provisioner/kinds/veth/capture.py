"""`topo save` of veth pairs (`links:`): which two captured ends make a pair, and which
veths are left out.

A veth's IFLA_LINK is its peer's ifindex in the peer's namespace, and its IFLA_LINK_NETNSID
names that namespace by an id relative to the namespace that reported it; ifindexes repeat
across namespaces, so the caller resolves the id (`NsidMap`), and the peer must point back.
Kernels without RTM_GETNSID: the pair is found by its two (ifindex, peer ifindex) sides, and
an ambiguous match is an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ...capture_core import Captured, CaptureError, Notes, NsName, Options, interface, where
from ...live import LiveLink
from ...model import EndRef, Kind, VethPair

DEFAULT_MTU = 1500

NsidMap = Callable[[NsName, int], "dict[int, NsName] | None"]
"""(reader, wanted nsid) -> nsid -> namespace as `reader` numbers them (enough to name
`wanted` if a namespace under /run/netns is it); None when the kernel cannot say."""


@dataclass(frozen=True)
class Unpaired:
    """Why a veth is not written: `not_named` when its peer is in a namespace --netns did not name."""

    why: str
    not_named: bool = False


@dataclass
class Peers:
    """Finds the other end of each veth among the namespaces read."""

    cap: Captured
    nsids: NsidMap
    indexes: dict[NsName, dict[int, LiveLink]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.indexes = {ns: {link.index: link for link in live.links.values()} for ns, live in self.cap.live.items()}

    def peer(self, ns: NsName, link: LiveLink, named: bool) -> tuple[NsName, LiveLink] | Unpaired:
        """The other end of a veth, or why it cannot be captured."""
        if link.peer_netnsid is None:
            peer_ns: NsName = ns
        else:
            mapping = self.nsids(ns, link.peer_netnsid)
            if mapping is None:
                return self.by_indexes(ns, link)
            if link.peer_netnsid not in mapping:
                return Unpaired(f"its peer is in a namespace with no name under /run/netns "
                                f"(nsid {link.peer_netnsid} seen from {where(ns)})")
            peer_ns = mapping[link.peer_netnsid]
        links = self.indexes.get(peer_ns)
        if links is None:
            return Unpaired(f"its peer is in {where(peer_ns)}, which is not captured"
                            + (" (not named with --netns)" if named else ""), not_named=named)
        other = links.get(link.link_index)
        if (other is None or other.kind != "veth" or other.peer_index != link.index
                or (other.peer_netnsid is None) != (peer_ns == ns)):
            return Unpaired(f"its peer (ifindex {link.link_index} in {where(peer_ns)}) does not point back to it")
        return peer_ns, other

    def by_indexes(self, ns: NsName, link: LiveLink) -> tuple[NsName, LiveLink] | Unpaired:
        """Without RTM_GETNSID: the veth in another read namespace whose (ifindex, peer ifindex)
        mirror this one's. Ambiguous matches are refused: ifindexes repeat across namespaces."""
        found = [(other_ns, other) for other_ns, live in self.cap.live.items() if other_ns != ns
                 for other in live.links.values()
                 if other.kind == "veth" and other.peer_netnsid is not None and other.index == link.link_index
                 and other.peer_index == link.index]
        if len(found) > 1:
            raise CaptureError(f"veth {link.name} in {where(ns)}: its peer could be "
                               + " or ".join(f"{o.name} in {where(n)}" for n, o in found)
                               + " (this kernel cannot name a peer's namespace: RTM_GETNSID failed); capture fewer namespaces with --netns")
        if not found:
            return Unpaired("its peer is in no captured namespace")
        return found[0]


def _written(ns: NsName, link: LiveLink, peer_ns: NsName, other: LiveLink, opts: Options, notes: Notes) -> bool:
    """Whether the options keep a pair; why not is noted (nothing for a pair of the root
    namespace with --no-include-root: it is none of the captured namespaces')."""
    if not opts.include_root and None in (ns, peer_ns):
        end, peer, end_ns = (link, other, ns) if ns is not None else (other, link, peer_ns)
        if end_ns is not None:
            notes.left_out.append(f"veth {end.name} in {where(end_ns)} (its peer {peer.name} is in the root namespace: "
                                  "--no-include-root)")
        return False
    if ns is None and peer_ns is None and opts.named:
        notes.left_out.append(f"veth pair {link.name} <-> {other.name} in the root namespace "
                              "(it joins none of the namespaces named with --netns)")
        return False
    return True


def _end(cap: Captured, ns: NsName, link: LiveLink, macs: bool) -> EndRef:
    cap.add(ns, interface(link, Kind.VETH, DEFAULT_MTU, macs))
    return EndRef(cap.netns[ns].place, link.name)


def _pair(cap: Captured, first: tuple[NsName, LiveLink], second: tuple[NsName, LiveLink], macs: bool) -> VethPair:
    """Both ends made, each naming the other; `a` is the end in a namespace first by name."""
    ends = [_end(cap, ns, link, macs) for ns, link in (first, second)]
    a, b = sorted(ends, key=lambda e: (e.place.netns is None, e.place.netns or "", e.ifname))
    cap.netns[a.place.netns].interfaces[a.ifname].peer = b
    cap.netns[b.place.netns].interfaces[b.ifname].peer = a
    return VethPair(a, b)


def capture_pairs(cap: Captured, order: list[NsName], nsids: NsidMap, opts: Options, notes: Notes) -> list[VethPair]:
    """The veth pairs to write, their ends added to `cap`; the veths of the namespaces in
    `order` (the captured ones, then the root one) that cannot be written are noted."""
    peers = Peers(cap, nsids)
    pairs: list[VethPair] = []
    done: set[tuple[NsName, int]] = set()
    foreign_peers = 0
    for ns in order:
        for link in cap.live[ns].links.values():
            if link.kind != "veth" or (ns, link.index) in done:
                continue
            found = peers.peer(ns, link, opts.named)
            if isinstance(found, Unpaired):
                if ns is None and not opts.include_root:
                    continue
                if ns is None and opts.named:
                    foreign_peers += 1
                elif found.not_named:
                    notes.left_out.append(f"veth {link.name} in {where(ns)}: {found.why}")
                else:
                    notes.skipped.append(f"veth {link.name} in {where(ns)}: {found.why}")
                continue
            peer_ns, other = found
            done.update({(ns, link.index), (peer_ns, other.index)})
            if _written(ns, link, peer_ns, other, opts, notes):
                pairs.append(_pair(cap, (ns, link), (peer_ns, other), opts.macs))
    if foreign_peers:
        notes.left_out.append(f"{foreign_peers} veth ends of the root namespace whose peers are in none of the namespaces "
                              "named with --netns")
    pairs.sort(key=lambda p: (p.a.place.netns is None, p.a.place.netns or "", p.a.ifname, p.b.ifname))
    return pairs
