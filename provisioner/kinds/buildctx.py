"""The build context every kind's builder shares: the data, the sink and the parse helpers.

A kind's builder (`provisioner/kinds/<kind>/build.py`) may define, all optional:

    in_netns(ctx, ns, path, raw)  its part of one namespace's mapping (`namespaces.NAME`; for a
                                  node's root namespace the top level and then `nodes.NAME`)
    build(ctx, topo)              its lab-wide objects, once the namespaces exist
    finish(ctx, topo)             problems that need every kind's objects (after every build)
    check(topo, sink)             semantic checks of the built model (`provisioner/checks.py`)
    lab_networks(topo)            addresses the kind makes the lab's own (a Service's ClusterIP)
    lab_names(topo)               (name, addresses) the lab answers (the cluster DNS's names);
                                  checks may reach both without `external: true`

`provisioner/desired.py` runs them in the kinds' dependency order.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, TypeVar

from ..diagnostics import DiagnosticSink, YamlPath
from ..model import IPAddress, IPInterface, Netns, Place
from ..names import control_problem, namespace_name_problem, printable, text_problem

T = TypeVar("T")
_IFNAME_BAD = re.compile(r"[/:%\s]")  # '%' would be a kernel name pattern (eth%d)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_V4 = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})(?:/(3[0-2]|[12]?[0-9]))?")
CIDR_HINT = "write it in CIDR form, e.g. 10.0.0.2/24"


def ip_interface(text: str) -> IPInterface:
    """`ipaddress.ip_interface`, with a fast path for the common dotted-quad/prefix form
    (the standard parser costs ~20 us an address, which a 10,000-pod lab notices)."""
    m = _PLAIN_V4.fullmatch(text)
    if m is None or m.group(2) is None:
        return ipaddress.ip_interface(text)
    return ipaddress.IPv4Interface((int.from_bytes(socket.inet_aton(m.group(1)), "big"), int(m.group(2))))


def ip_address(text: str) -> IPAddress:
    """`ipaddress.ip_address`, with the same fast path."""
    m = _PLAIN_V4.fullmatch(text)
    if m is None or m.group(2) is not None:
        return ipaddress.ip_address(text)
    return ipaddress.IPv4Address(socket.inet_aton(text))


def _special_kind(addr: IPAddress | IPInterface) -> str | None:
    """What kind of address that no interface can have `addr` is: "unspecified", "multicast",
    "broadcast" (IPv4 255.255.255.255) or "loopback" (IPv6 ::1), or None. By the address's
    number: the ipaddress properties of an interface look at its network, and cost more."""
    n = int(addr)
    if n == 0:
        return "unspecified"
    if addr.version == 4:
        return "multicast" if n >> 28 == 0xE else "broadcast" if n == 0xFFFFFFFF else None
    return "multicast" if n >> 120 == 0xFF else "loopback" if n == 1 else None


def address_refusal(addr: IPInterface, loopback: bool) -> str | None:
    """Why `addr` cannot be an address of an interface (the kernel refuses it, or takes it and
    keeps nothing), or None. `loopback`: the interface is `lo`, where ::1 belongs."""
    kind = _special_kind(addr)
    if kind == "unspecified":
        return "is the unspecified address; Linux refuses it (IPv6) or keeps no address (IPv4)"
    if kind == "multicast":
        return "is a multicast address: a group an interface joins, not an address it has"
    if kind == "broadcast":
        return "is the limited broadcast address, not an address of one interface"
    if kind == "loopback" and not loopback:
        return "is the IPv6 loopback address; Linux allows it on `lo` only"
    return None


def gateway_refusal(addr: IPAddress) -> str | None:
    """Why `addr` cannot be a route's gateway, or None."""
    kind = _special_kind(addr)
    if kind == "unspecified":
        return "is the unspecified address: Linux would make a route without a gateway"
    if kind in ("multicast", "broadcast"):
        return "is not a unicast address: Linux refuses it as a gateway"
    return None


def suggest(name: str, choices: list[str]) -> str | None:
    """A hint for an unknown name: the closest known one, or some known ones."""
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if choices:
        shown = ", ".join(sorted(choices)[:8])
        return f"known: {shown}" + (", ..." if len(choices) > 8 else "")
    return None


def name_taken(sink: Any, where: YamlPath, ns: Any, owner_name: str, ifname: str, what: str) -> bool:
    """Whether `ifname` is already an interface of namespace `ns` (or its lo): a located error
    for a new device of kind `what` that would take it."""
    if ifname != "lo" and ifname not in ns.interfaces:
        return False
    kind = ns.interfaces[ifname].kind if ifname in ns.interfaces else "loopback"
    sink.error(where, f"'{ifname}' already exists in {owner_name} as a {kind}", f"pick another name for the {what}")
    return True


def valid_ifname(name: str) -> str | None:
    """Why `name` is not a valid Linux interface name, or None when it is (no control
    character and no leading '.' either: the name is a file under /proc/sys and /sys)."""
    if not name.isprintable() and (err := control_problem(f"interface name {printable(name)}", name)):
        return err
    size = len(name.encode())
    if not 1 <= size <= 15:
        what = f"{len(name)} characters" if size == len(name) else f"{size} bytes"
        return f"interface name {printable(name)} is {what}; Linux allows 1 to 15 bytes"
    if name in (".", ".."):
        return f"interface name '{name}' is reserved"
    if name.startswith("."):
        return f"interface name {printable(name)} starts with '.'; hidden names are not allowed"
    bad = _IFNAME_BAD.search(name)
    if bad:
        return f"interface name {printable(name)} contains {bad.group()!r}; '/', ':', '%' and whitespace are not allowed"
    return None


def valid_nsname(name: str) -> str | None:
    return namespace_name_problem(name)


@dataclass
class Owner:
    """What the `OWNER` of a link end `OWNER:IFNAME` names: a place, and the bridge when it is
    one (the end becomes its port)."""

    place: Place
    bridge: str | None


@dataclass
class Owners:
    """The names a link end may start with: nodes and namespaces (one name space), and bridges,
    where one name may be a bridge on several nodes."""

    places: dict[str, Owner] = field(default_factory=dict)
    bridges: dict[str, dict[str, Owner]] = field(default_factory=dict)  # bridge name -> node -> owner

    def resolve(self, name: str, other: str | None) -> Owner | None:
        """The owner called `name`; a bridge several nodes have is the one on the node of
        the link's other end (`other`)."""
        if name in self.places:
            return self.places[name]
        by_node = self.bridges.get(name, {})
        if len(by_node) == 1:
            return next(iter(by_node.values()))
        other_owner = self.places.get(other) if other is not None else None
        if other_owner is None:
            other_nodes = self.bridges.get(other, {}) if other is not None else {}
            if len(other_nodes) == 1:
                other_owner = next(iter(other_nodes.values()))
        if other_owner is not None:
            return by_node.get(other_owner.place.node)
        return None


class NetnsPart(Protocol):
    def __call__(self, ctx: "BuildContext", ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None: ...


S = TypeVar("S")


class BuildContext:
    """One build: the data, the sink, the kinds' namespace parts, the owners of link ends,
    each kind's own state, and the parse helpers (which report and return None on a problem)."""

    def __init__(self, data: dict[str, Any], sink: DiagnosticSink, netns_parts: tuple[NetnsPart, ...] = ()):
        self.data = data
        self.sink = sink
        self.netns_parts = netns_parts
        self.owners = Owners()
        self._states: dict[type, Any] = {}
        # parsed addresses by (parser, text): a large lab repeats gateways and prefixes thousands
        # of times, and ipaddress objects are immutable, so one parse serves every use
        self.parsed: dict[tuple[Callable[[str], Any], str], Any] = {}

    def state(self, cls: type[S]) -> S:
        """A kind's own state for this build (made on first use): `cls()`."""
        known = self._states.get(cls)
        if known is None:
            known = self._states[cls] = cls()
        return known  # type: ignore[no-any-return]

    def netns_parts_of(self, ns: Netns, path: YamlPath, raw: dict[str, Any]) -> None:
        """Every kind's part of one namespace's mapping `raw` at `path`."""
        for part in self.netns_parts:
            part(self, ns, path, raw)

    def cached(self, fn: Callable[[str], T], text: str) -> T:
        """`fn(text)`, parsed once per text (raises ValueError like `fn`)."""
        known = self.parsed.get((fn, text))
        if known is None:
            if "%" in text:  # ipaddress takes any text after '%' as an IPv6 scope, newlines too
                raise ValueError("a scope ('%' and an interface) is not allowed; give the interface with `dev`")
            known = self.parsed[(fn, text)] = fn(text)
        return known  # type: ignore[no-any-return]

    def parse(self, path: YamlPath, raw: Any, fn: Callable[[str], T], what: str, hint: str | None = None) -> T | None:
        try:
            return self.cached(fn, str(raw))
        except ValueError as exc:
            self.sink.error(path, f"invalid {what} {printable(str(raw))}: {exc}", hint)
            return None

    def integer(self, path: YamlPath, raw: Any) -> Any:
        """An integer setting as the kernel takes it: the schema counts 1500.0 as an integer."""
        if isinstance(raw, float):
            self.sink.error(path, f"must be an integer, not {raw!r}", f"write {int(raw)}")
            return None
        return raw

    def text(self, path: YamlPath, raw: Any) -> str | None:
        """A description (free text for people), or None when it has none or is refused."""
        if raw is None:
            return None
        if err := text_problem("the description", raw):
            self.sink.error(path, err)
            return None
        return str(raw)

    def interface_address(self, path: YamlPath, raw: Any, loopback: bool = False) -> IPInterface | None:
        addr = self.address(path, raw)
        if addr is not None and (why := address_refusal(addr, loopback)):
            self.sink.error(path, f"{addr} {why}", "give a unicast host address of the subnet, e.g. 10.0.0.2/24")
            return None
        return addr

    def address(self, path: YamlPath, raw: Any) -> IPInterface | None:
        text = str(raw)
        if "/" not in text:
            self.sink.error(path, f"address '{text}' has no prefix length", CIDR_HINT)
            return None
        return self.parse(path, text, ip_interface, "address", CIDR_HINT)

    def ip(self, path: YamlPath, raw: Any) -> IPAddress | None:
        return self.parse(path, raw, ip_address, "IP address")
