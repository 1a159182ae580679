"""What the kinds' capture steps share (`topo save`, see provisioner/capture.py): the
namespaces' facts as read, where the notes about what is left out go, and an interface
built from a link's facts. Each kind turns its facts into its part of the model in
provisioner/kinds/<kind>/capture.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from .live import LiveLink, LiveNetns
from .model import Interface, Netns
from .names import printable

NsName = str | None  # None: the node's root namespace


class CaptureError(Exception):
    """The machine's state cannot be captured (the message says why)."""


def where(ns: NsName) -> str:
    return "the root namespace" if ns is None else f"namespace {ns}"


def describe(link: LiveLink) -> str:
    """`vxlan vx0`, `device eth0` (a link with no kind)."""
    return f"{link.kind or 'device'} {link.name}"


@dataclass
class Notes:
    """What capture found but does not write: `skipped` exists but topo cannot model it
    (warnings); `left_out` is not the lab's by the rules or the options."""

    skipped: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    include_root: bool = True  # the root namespace's bridges, veth ends and routes
    macs: bool = True  # write each interface's MAC
    named: bool = False  # --netns named the namespaces


def interface(link: LiveLink, kind: str, default_mtu: int, mac: bool) -> Interface:
    """The interface a link's facts make: its MTU only when not the kind's default."""
    return Interface(link.name, kind, mtu=link.mtu if link.mtu != default_mtu else None,
                     mac=link.mac if mac else None, up=link.up)


@dataclass
class Captured:
    """The model being built: the namespaces in the file (the root one when included) and
    every captured interface with the namespace it is in, in the order they were made."""

    live: dict[NsName, LiveNetns]  # every namespace read, with the links whose names a file may have
    netns: dict[NsName, Netns]
    unnamed: dict[NsName, dict[str, LiveLink]] = field(default_factory=dict)  # the others (noted when read)
    interfaces: list[tuple[NsName, Interface]] = field(default_factory=list)

    def add(self, ns: NsName, iface: Interface) -> Interface:
        self.netns[ns].interfaces[iface.name] = iface
        self.interfaces.append((ns, iface))
        return iface

    def device(self, ns: NsName, name: str) -> str:
        """How a note names a device of the namespace: `bridge br0`, or its ifindex when its
        name is not one a file may have."""
        link = self.live[ns].links.get(name)
        if link is not None:
            return describe(link)
        hidden = self.unnamed.get(ns, {}).get(name)
        return f"ifindex {hidden.index}" if hidden is not None else f"device {printable(name)}"
