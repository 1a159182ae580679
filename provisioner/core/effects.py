"""What one kind's planned change does to the objects of another, as typed facts.

A kind's diff returns the effects of its actions (a namespace is made, a link recreated, an
IPv4 address removed); the kinds after it in the dependency order read them. The kernel's
side effects are named here, once: recreating a link flushes its addresses and routes,
setting a link down flushes its IPv6 addresses, removing an IPv4 address flushes the routes
through it. Effects only grow, in registry order: no kind changes what another said."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Union

from .keys import LinkKey


@dataclass(frozen=True)
class NamespaceMade:
    """The plan makes this namespace (it does not exist, or its file is unpinned): nothing
    in it exists yet."""

    name: str


@dataclass(frozen=True)
class NamespaceRemade:
    """A namespace the plan makes that was the lab's before (deleted or unpinned behind topo's
    back): what lived in it may still be known by its neighbours."""

    name: str


@dataclass(frozen=True)
class NamespaceGoes:
    """The plan deletes this namespace: what is in it goes with it."""

    name: str


@dataclass(frozen=True)
class ForeignNamespace:
    """The file names this namespace; it exists and is not the lab's (nor adopted)."""

    name: str


@dataclass(frozen=True)
class LinkMade:
    """The plan (re)creates this link: the kernel removed its addresses and routes with the
    old one, so every kind sets them anew."""

    link: LinkKey


@dataclass(frozen=True)
class LinkGoes:
    """The plan deletes this link (no longer declared, in the way, or to be remade): the
    kernel removes its addresses and the routes through it with it."""

    link: LinkKey


@dataclass(frozen=True)
class LinkRenamed:
    """The plan renames this link of the lab in place (to `new`): it keeps its addresses,
    routes, neighbours and counters; every kind sees it by its new name."""

    link: LinkKey
    new: str


@dataclass(frozen=True)
class LinkGoesDown:
    """The plan sets this link down: the kernel flushes its IPv6 addresses."""

    link: LinkKey


@dataclass(frozen=True)
class ForeignLink:
    """A root-namespace link the file names, made by another tool: compared, never changed."""

    link: LinkKey


@dataclass(frozen=True)
class RefusedLink:
    """A device of another kind in the way of one the file names (its conflict is reported)."""

    link: LinkKey


@dataclass(frozen=True)
class IPv4AddressGoes:
    """An IPv4 address goes in this namespace: the kernel may flush routes through it."""

    netns: str | None


Effect = Union[NamespaceMade, NamespaceRemade, NamespaceGoes, ForeignNamespace, LinkMade, LinkRenamed, LinkGoes, LinkGoesDown,
               ForeignLink, RefusedLink, IPv4AddressGoes]


@dataclass(frozen=True)
class Effects:
    """The effects so far, in order; `plus` makes a new set with more."""

    facts: frozenset[Effect] = field(default_factory=frozenset)
    renamed_in: frozenset[str | None] = frozenset()  # the namespaces with a LinkRenamed (looked up often)

    def plus(self, more: Iterable[Effect]) -> "Effects":
        more = tuple(more)
        renamed = frozenset(f.link.netns for f in more if isinstance(f, LinkRenamed))
        return Effects(self.facts | frozenset(more), self.renamed_in | renamed)

    def renames(self, netns: str | None) -> dict[str, str]:
        """The links of a namespace the plan renames: old name -> new name."""
        if netns not in self.renamed_in:
            return {}
        return {f.link.name: f.new for f in self.facts if isinstance(f, LinkRenamed) and f.link.netns == netns}

    def made(self, netns: str | None) -> bool:
        return netns is not None and NamespaceMade(netns) in self.facts

    def remade(self, netns: str | None) -> bool:
        return netns is not None and NamespaceRemade(netns) in self.facts

    def goes(self, netns: str) -> bool:
        return NamespaceGoes(netns) in self.facts

    def foreign_namespace(self, netns: str | None) -> bool:
        return netns is not None and ForeignNamespace(netns) in self.facts

    def foreign_link(self, netns: str | None, name: str) -> bool:
        """Another's object the link is in or is: a foreign namespace, or a foreign root link."""
        if netns is not None:
            return self.foreign_namespace(netns)
        return ForeignLink(LinkKey(None, name)) in self.facts

    def refused(self, netns: str | None, name: str) -> bool:
        return RefusedLink(LinkKey(netns, name)) in self.facts

    def link_made(self, netns: str | None, name: str) -> bool:
        return LinkMade(LinkKey(netns, name)) in self.facts

    def link_goes(self, netns: str | None, name: str) -> bool:
        return LinkGoes(LinkKey(netns, name)) in self.facts

    def goes_down(self, netns: str | None, name: str) -> bool:
        return LinkGoesDown(LinkKey(netns, name)) in self.facts

    def ipv4_address_goes(self, netns: str | None) -> bool:
        return IPv4AddressGoes(netns) in self.facts

    def of_type(self, kind: type) -> list:
        return sorted((f for f in self.facts if isinstance(f, kind)), key=repr)

    def doomed(self) -> list[str]:
        return sorted(f.name for f in self.facts if isinstance(f, NamespaceGoes))
