"""Desired model builder: schema-valid data -> `Topology`.

It resolves names (link ends to namespaces, bridges and nodes), parses addresses and
merges an interface's settings from the namespace's `interfaces:` and the link ends.
Problems found on the way are reported to the sink with their YAML path; the builder
keeps going so that every problem of a file is reported at once.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from .diagnostics import DiagnosticSink, YamlPath, format_path
from .names import (
    control_problem,
    env_name_problem,
    escape,
    hostname_problem,
    hosts_name_problem,
    lab_name_problem,
    namespace_name_problem,
    printable,
    process_name_problem,
    sysctl_key_problem,
    sysctl_value_problem,
    text_problem,
    user_problem,
)
from .model import (
    IMPLICIT_NODE,
    EndRef,
    Interface,
    IPAddress,
    IPInterface,
    Kind,
    Netns,
    Node,
    Place,
    Process,
    Check,
    Route,
    Topology,
    VethPair,
    Vxlan,
)

T = TypeVar("T")
_IFNAME_BAD = re.compile(r"[/:%\s]")  # '%' would be a kernel name pattern (eth%d)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_V4 = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})(?:/(3[0-2]|[12]?[0-9]))?")


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
_IFACE_SETTINGS = ("addresses", "mtu", "mac", "up", "description")
IPV6_MIN_MTU = 1280
"""Below this MTU Linux turns IPv6 off on an interface: it drops the interface's IPv6 addresses
and refuses new ones and IPv6 routes out of it."""


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


def _suggest(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    if choices:
        shown = ", ".join(sorted(choices)[:8])
        return f"known: {shown}" + (", ..." if len(choices) > 8 else "")
    return None


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


def _env_value(value: Any) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


_NUL = "contains a NUL character, which no command line or environment variable can hold"


def check_target_problem(target: str) -> str | None:
    """Why a check's `to` or `resolve` is not an IP address or a host name (it is passed to
    ping, getent and a TCP connect as their operand, never as an option)."""
    try:
        ip = ipaddress.ip_address(target)
    except ValueError:
        pass
    else:
        scope = getattr(ip, "scope_id", None)
        return None if scope is None or valid_ifname(scope) is None else f"{printable(target)} has an invalid scope (interface)"
    try:
        socket.inet_aton(target)  # what ping and getaddrinfo would read as an IPv4 address
        return f"{printable(target)} is an IPv4 address in a short form; write it as four decimal numbers"
    except OSError:
        pass
    return hosts_name_problem(target)


def _check_label(src: str, target: str, port: int | None, resolve: bool, expect: bool) -> str:
    what = f"{src} resolves {target}" if resolve else f"{src} -> {target}" + (f":{port}" if port else " (ping)")
    return what + ("" if expect else " fails")


def valid_nsname(name: str) -> str | None:
    return namespace_name_problem(name)


@dataclass
class _Owner:
    place: Place
    bridge: str | None  # set when the owner is a bridge: the end becomes its port


class _Builder:
    def __init__(self, data: dict[str, Any], sink: DiagnosticSink):
        self.data = data
        self.sink = sink
        # parsed addresses by (parser, text): a large lab repeats gateways and prefixes thousands
        # of times, and ipaddress objects are immutable, so one parse serves every use
        self.parsed: dict[tuple[Callable[[str], Any], str], Any] = {}

    # ---- small parsers -------------------------------------------------------------------
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
            self.sink.error(path, f"address '{text}' has no prefix length", "write it in CIDR form, e.g. 10.0.0.2/24")
            return None
        return self.parse(path, text, ip_interface, "address", "write it in CIDR form, e.g. 10.0.0.2/24")

    def ip(self, path: YamlPath, raw: Any) -> IPAddress | None:
        return self.parse(path, raw, ip_address, "IP address")

    def route(self, path: YamlPath, raw: dict[str, Any]) -> Route | None:
        via = self.ip(path + ("via",), raw["via"]) if "via" in raw else None
        src = self.ip(path + ("src",), raw["src"]) if "src" in raw else None
        if ("via" in raw and via is None) or ("src" in raw and src is None):
            return None  # reported: the route says no more until its addresses are fixed
        if via is not None and (why := gateway_refusal(via)):
            self.sink.error(path + ("via",), f"gateway {via} {why}",
                            "a gateway is a neighbour's unicast address; a route out of a device without one has only `dev`")
            return None
        if "dev" in raw and (err := valid_ifname(str(raw["dev"]))):
            self.sink.error(path + ("dev",), err)
            return None
        metric = self.integer(path + ("metric",), raw.get("metric"))
        to = str(raw["to"])
        if to == "default":
            family = via or src
            dst = self.cached(ipaddress.ip_network, "::/0" if family is not None and family.version == 6 else "0.0.0.0/0")
        else:
            try:
                dst = self.cached(ipaddress.ip_network, to)  # strict: host bits set is an error
            except ValueError as exc:
                hint = None
                try:
                    net = ipaddress.ip_network(to, strict=False)
                    hint = f"the network is {net}" if "/" in to else f"write {to}/{net.max_prefixlen} for a single host"
                except ValueError:
                    pass
                self.sink.error(path + ("to",), f"invalid destination '{to}': {exc}", hint)
                return None
        if (via is not None and via.version != dst.version) or (src is not None and src.version != dst.version):
            self.sink.error(path, f"route to {to} mixes IPv4 and IPv6 addresses")
            return None
        if "dev" not in raw and via is None:
            self.sink.error(path, f"route to {to} needs a gateway (`via`) or a device (`dev`)")
            return None
        if raw.get("onlink") and "dev" not in raw:
            self.sink.error(path + ("onlink",), "an onlink route needs `dev`")
        return Route(dst, via, raw.get("dev"), metric, bool(raw.get("onlink", False)), src, path)

    def routes(self, path: YamlPath, raw: list[dict[str, Any]] | None) -> list[Route]:
        parsed = [self.route(path + (i,), r) for i, r in enumerate(raw or [])]
        return [r for r in parsed if r is not None]

    def sysctls(self, path: YamlPath, raw: dict[str, Any] | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in (raw or {}).items():
            if err := sysctl_key_problem(key):
                self.sink.error(
                    path + (key,),
                    err,
                    "only net.* sysctls are per network namespace; others would change the whole machine",
                    key=True,
                )
                continue
            out[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
            if err := sysctl_value_problem(key, out[key]):
                self.sink.error(path + (key,), err)
        a, b = "net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"
        if a in out and b in out and out[a].strip() != out[b].strip():
            self.sink.error(path + (b,), f"{b} is {out[b]} but {a} is {out[a]}: they are one setting of the kernel",
                            "keep one of them", key=True)
        return out

    def hosts(self, path: YamlPath, raw: dict[str, Any] | None) -> dict[str, tuple[IPAddress, ...]]:
        out: dict[str, tuple[IPAddress, ...]] = {}
        for name, value in (raw or {}).items():
            if err := hosts_name_problem(name):
                self.sink.error(path + (name,), err, key=True)
                continue
            values = value if isinstance(value, list) else [value]
            sub = [path + (name, i) for i in range(len(values))] if isinstance(value, list) else [path + (name,)]
            addrs = [self.ip(p, v) for p, v in zip(sub, values)]
            out[name] = tuple(a for a in addrs if a is not None)
        return out

    def processes(self, path: YamlPath, raw: dict[str, Any] | None) -> dict[str, Process]:
        out: dict[str, Process] = {}
        for name, value in (raw or {}).items():
            if process_name_problem(name):
                self.sink.error(path + (name,), f"'{name}' is not a valid process name",
                                "letters, digits, '_', '.' and '-' (it names the pid and log files)", key=True)
                continue
            spec = value if isinstance(value, dict) else {"command": value}
            where = path + (name,)
            problems = self.process_problems(where, spec, isinstance(value, dict))
            for at, problem, on_key in problems:
                self.sink.error(at, problem, key=on_key)
            if not problems:
                env = tuple(sorted((str(k), _env_value(v)) for k, v in (spec.get("env") or {}).items()))
                out[name] = Process(name, str(spec["command"]), env, self.text(path + (name, "description"), spec.get("description")),
                                    spec.get("user"))
        return out

    @staticmethod
    def process_problems(where: YamlPath, spec: dict[str, Any], mapping: bool) -> list[tuple[YamlPath, str, bool]]:
        """What keeps a process from being started: (where, why, on the key) for each problem."""
        out: list[tuple[YamlPath, str, bool]] = []
        if "\x00" in str(spec["command"]):
            out.append((where + ("command",) if mapping else where, f"the command {_NUL}", False))
        for key, value in (spec.get("env") or {}).items():
            if err := env_name_problem(key):
                out.append((where + ("env", key), err, True))
            elif "\x00" in _env_value(value):
                out.append((where + ("env", key), f"the value of {key} {_NUL}", False))
        if "user" in spec and (err := user_problem(spec["user"])):
            out.append((where + ("user",), err, False))
        return out

    def checks(self, nodes: dict[str, Node]) -> list[Check]:
        out: list[Check] = []
        places = {IMPLICIT_NODE: Place(IMPLICIT_NODE)} if self.data.get("nodes") is None else {}
        for node in nodes.values():
            places[node.name] = node.root.place
            for ns in node.namespaces.values():
                places[ns.place.netns] = ns.place  # type: ignore[index]
        for i, raw in enumerate(self.data.get("checks") or []):
            path: YamlPath = ("checks", i)
            place = places.get(str(raw["from"]))
            if place is None:
                self.sink.error(path + ("from",), f"'{raw['from']}' is not a namespace or node of this lab",
                                _suggest(str(raw["from"]), [str(p) for p in places]))
                continue
            if ("to" in raw) == ("resolve" in raw):
                self.sink.error(path, "a check has either `to` (reach it) or `resolve` (look the name up)", key=True)
                continue
            if "resolve" in raw and "port" in raw:
                self.sink.error(path + ("port",), "`port` goes with `to`, not with `resolve`")
                continue
            if "address" in raw and "resolve" not in raw:
                self.sink.error(path + ("address",), "`address` is the expected answer of `resolve`")
                continue
            address = self.ip(path + ("address",), raw["address"]) if "address" in raw else None
            key = "resolve" if "resolve" in raw else "to"
            target = str(raw[key])
            timeout = float(raw.get("timeout", 2))
            if err := check_target_problem(target):
                self.sink.error(path + (key,), err)
                continue
            if not 0 < timeout <= 60:  # the schema says so, but NaN passes every comparison
                self.sink.error(path + ("timeout",), f"timeout {raw['timeout']} is not a number of seconds from 0 to 60",
                                "e.g. timeout: 2")
                continue
            expect = raw.get("expect", "success") == "success"
            port = self.integer(path + ("port",), raw.get("port"))
            if "port" in raw and port is None:
                continue
            name = raw.get("name") or _check_label(str(raw["from"]), target, port, "resolve" in raw, expect)
            out.append(Check(name, place, target, port, "resolve" in raw, address, expect,
                             timeout, path, bool(raw.get("external", False))))
        return out

    # ---- interfaces ----------------------------------------------------------------------
    def settings(self, iface: Interface, path: YamlPath, raw: dict[str, Any], origin: dict[str, YamlPath]) -> None:
        """Apply interface settings from one place, refusing a setting given in two places."""
        for key in _IFACE_SETTINGS:
            if key not in raw:
                continue
            if key in origin:
                self.sink.error(path + (key,), f"'{key}' of {iface.name} is also set at {format_path(origin[key])}",
                                "set each interface setting in one place", key=True)
                continue
            origin[key] = path + (key,)
            if key == "addresses":
                loopback = iface.kind == Kind.LOOPBACK
                addrs = [self.interface_address(path + (key, i), a, loopback) for i, a in enumerate(raw[key])]
                iface.addresses = tuple(a for a in addrs if a is not None)
            elif key == "mac":
                mac = str(raw[key]).lower()
                if int(mac[:2], 16) & 1:
                    self.sink.error(path + (key,), f"MAC address {mac} is a multicast address", "the first octet must be even, e.g. 02:...")
                elif not int(mac.replace(":", ""), 16):
                    self.sink.error(path + (key,), f"MAC address {mac} is all zeros; Linux refuses it", "e.g. 02:00:00:00:00:01")
                iface.mac = mac
            elif key == "mtu":
                iface.mtu = self.integer(path + (key,), raw[key])
            elif key == "description":
                iface.description = self.text(path + (key,), raw[key])
            else:
                setattr(iface, key, raw[key])

    # ---- the whole topology ----------------------------------------------------------------
    def build(self) -> Topology:
        data = self.data
        sink = self.sink
        node_data: dict[str, Any] = data.get("nodes") or {}
        implicit = not node_data
        nodes: dict[str, Node] = {}
        names = {IMPLICIT_NODE: {}} if implicit else node_data
        if err := lab_name_problem(data["name"]):
            sink.error(("name",), err)
        for nname, nraw in names.items():
            npath: YamlPath = ("nodes", nname)
            if not implicit and (err := valid_nsname(nname)):
                sink.error(npath, err.replace("namespace", "node"), key=True)
            root = Netns(Place(nname, None), path=npath if not implicit else ())
            root.routes = self.routes(("routes",), data.get("routes"))
            root.sysctls = self.sysctls(("sysctls",), data.get("sysctls"))
            root.hosts = self.hosts(("hosts",), data.get("hosts"))
            nroutes = self.routes(npath + ("routes",), nraw.get("routes"))
            root.routes += nroutes
            for k, v in self.sysctls(npath + ("sysctls",), nraw.get("sysctls")).items():
                root.sysctls[k] = v
            for k, v in self.hosts(npath + ("hosts",), nraw.get("hosts")).items():
                root.hosts[k] = v
            underlay = self.interface_address(npath + ("underlay",), nraw["underlay"]) if "underlay" in nraw else None
            for key, problem in (("host", hostname_problem), ("user", user_problem)):
                if key in nraw and (err := problem(nraw[key])):
                    sink.error(npath + (key,), err)
            nodes[nname] = Node(nname, root, host=nraw.get("host"), user=nraw.get("user"),
                                description=self.text(npath + ("description",), nraw.get("description")), underlay=underlay)
        node_names = list(nodes)

        def node_of(path: YamlPath, raw: dict[str, Any]) -> str | None:
            if "node" in raw:
                if raw["node"] not in nodes:
                    hint = _suggest(str(raw["node"]), node_names) if not implicit else "declare it under `nodes:`"
                    sink.error(path + ("node",), f"unknown node {printable(str(raw['node']))}", hint)
                    return None
                return str(raw["node"])
            if len(nodes) == 1:
                return node_names[0]
            sink.error(path, "the lab has several nodes; say which one with `node:`", f"one of: {', '.join(node_names)}", key=True)
            return None

        owners: dict[str, _Owner] = {}
        if implicit:
            owners[IMPLICIT_NODE] = _Owner(Place(IMPLICIT_NODE), None)
        else:
            for nname in nodes:
                owners[nname] = _Owner(Place(nname), None)
        node_bridges: dict[str, dict[str, _Owner]] = {}  # bridge name -> node -> owner (bridges under nodes:)

        # namespaces
        origins: dict[tuple[Place, str], dict[str, YamlPath]] = {}
        declared: dict[tuple[Place, str], YamlPath] = {}
        for nsname, nsraw in (data.get("namespaces") or {}).items():
            path: YamlPath = ("namespaces", nsname)
            if err := valid_nsname(nsname):
                sink.error(path, err, key=True)
                continue
            if nsname in owners:
                sink.error(path, f"'{nsname}' is already the name of a node", "namespace, bridge and node names share one name space", key=True)
                continue
            node = node_of(path, nsraw)
            if node is None:
                continue
            place = Place(node, nsname)
            ns = Netns(place, description=self.text(path + ("description",), nsraw.get("description")), path=path)
            ns.interfaces["lo"] = Interface("lo", Kind.LOOPBACK, path=path)
            for ifname, ifraw in (nsraw.get("interfaces") or {}).items():
                ipath = path + ("interfaces", ifname)
                if err := valid_ifname(ifname):
                    sink.error(ipath, err, "shorten it; `ip link` refuses names over 15 characters", key=True)
                    continue
                iface = ns.interfaces.get(ifname) or Interface(ifname, Kind.VETH, path=ipath)
                iface.path = ipath
                ns.interfaces[ifname] = iface
                origins[(place, ifname)] = {}
                self.settings(iface, ipath, ifraw, origins[(place, ifname)])
                if ifname != "lo":
                    declared[(place, ifname)] = ipath
            ns.routes = self.routes(path + ("routes",), nsraw.get("routes"))
            ns.sysctls = self.sysctls(path + ("sysctls",), nsraw.get("sysctls"))
            ns.hosts = self.hosts(path + ("hosts",), nsraw.get("hosts"))
            ns.processes = self.processes(path + ("processes",), nsraw.get("processes"))
            nodes[node].namespaces[nsname] = ns
            owners[nsname] = _Owner(place, None)

        # bridges: top-level ones (with `node:` when there are several nodes), and per node
        declared_bridges: list[tuple[YamlPath, str, dict[str, Any], str | None]] = [
            (("bridges", bname), bname, braw, None) for bname, braw in (data.get("bridges") or {}).items()]
        if not implicit:
            declared_bridges += [(("nodes", nname, "bridges", bname), bname, braw, nname)
                                 for nname, nraw in node_data.items() for bname, braw in (nraw.get("bridges") or {}).items()]
        for path, bname, braw, on_node in declared_bridges:
            if bname == "lo":
                sink.error(path, "'lo' is the loopback interface's name", "give the bridge another name", key=True)
                continue
            if err := valid_ifname(bname):
                sink.error(path, err, "a bridge is an interface: 1 to 15 characters, no '/', ':' or whitespace", key=True)
                continue
            if bname in owners:
                sink.error(path, f"'{bname}' is already the name of a namespace or node", "namespace, bridge and node names share one name space", key=True)
                continue
            if on_node is not None and "node" in braw and braw["node"] != on_node:
                sink.error(path + ("node",), f"bridge {bname} is declared under node {on_node}", "leave out `node:` here")
                continue
            node = on_node or node_of(path, braw)
            if node is None:
                continue
            if bname in nodes[node].root.interfaces or node in node_bridges.get(bname, {}):
                sink.error(path, f"node {node} already has a bridge {bname}", "each node has one bridge of a name", key=True)
                continue
            br = Interface(bname, Kind.BRIDGE, path=path)
            self.settings(br, path, braw, {})
            nodes[node].root.interfaces[bname] = br
            node_bridges.setdefault(bname, {})[node] = _Owner(Place(node), bname)

        def owner_for(name: str, other: str | None) -> _Owner | None:
            """The owner called `name`; a bridge several nodes have is the one on the node of
            the link's other end (`other`)."""
            if name in owners:
                return owners[name]
            by_node = node_bridges.get(name, {})
            if len(by_node) == 1:
                return next(iter(by_node.values()))
            other_owner = owners.get(other) if other is not None else None
            if other_owner is None:
                other_nodes = node_bridges.get(other, {}) if other is not None else {}
                if len(other_nodes) == 1:
                    other_owner = next(iter(other_nodes.values()))
            if other_owner is not None:
                return by_node.get(other_owner.place.node)
            return None

        # links
        used: dict[tuple[Place, str], YamlPath] = {}
        veths: list[VethPair] = []
        for i, lraw in enumerate(data.get("links") or []):
            lpath: YamlPath = ("links", i)
            ends: list[EndRef] = []
            specs = {side: (lraw[side] if isinstance(lraw[side], dict) else {"at": lraw[side]}) for side in ("a", "b")}
            owner_names = {side: str(spec["at"]).partition(":")[0] for side, spec in specs.items()}
            for side, other_side in (("a", "b"), ("b", "a")):
                eraw = lraw[side]
                epath = lpath + (side,)
                spec = specs[side]
                at = str(spec["at"])
                owner_name, _, ifname = at.partition(":")
                apath = epath + ("at",) if isinstance(eraw, dict) else epath
                owner = owner_for(owner_name, owner_names[other_side])
                if owner is None:
                    if owner_name in node_bridges:
                        sink.error(apath, f"bridge {owner_name} is on nodes {', '.join(sorted(node_bridges[owner_name]))}; "
                                          "the link's other end does not say which", "connect it to a namespace on one of them")
                    else:
                        sink.error(apath, f"{printable(owner_name)} is not a namespace, bridge or node of this lab",
                                   _suggest(owner_name, list(owners) + list(node_bridges)))
                    continue
                if err := valid_ifname(ifname):
                    sink.error(apath, err, "shorten it; `ip link` refuses names over 15 characters")
                    continue
                key = (owner.place, ifname)
                if key in used:
                    sink.error(apath, f"veth end '{at}' is already used by {format_path(used[key])}",
                               "each interface can be one end of one veth pair")
                    continue
                ns = nodes[owner.place.node].root if owner.place.netns is None else nodes[owner.place.node].namespaces[owner.place.netns]
                if ifname == "lo" or (ifname in ns.interfaces and ns.interfaces[ifname].kind != Kind.VETH):
                    sink.error(apath, f"'{ifname}' already exists in {owner_name} as a {ns.interfaces[ifname].kind}",
                               "pick another name for the veth end")
                    continue
                used[key] = apath
                iface = ns.interfaces.get(ifname)
                if iface is None:
                    iface = Interface(ifname, Kind.VETH, path=epath)
                    ns.interfaces[ifname] = iface
                origin = origins.setdefault(key, {})
                self.settings(iface, epath, spec, origin)
                if "mtu" in lraw and "mtu" not in origin:
                    iface.mtu = self.integer(lpath + ("mtu",), lraw["mtu"])
                iface.master = owner.bridge
                declared.pop(key, None)
                ends.append(EndRef(owner.place, ifname))
            if len(ends) != 2:
                continue
            a, b = ends
            if a.place.node != b.place.node:
                sink.error(lpath, f"a veth pair cannot join two nodes ({a.place.node} and {b.place.node})",
                           "connect nodes with routed pod networks or a VXLAN segment")
                continue
            self.interface_of(nodes, a).peer = b
            self.interface_of(nodes, b).peer = a
            veths.append(VethPair(a, b, self.text(lpath + ("description",), lraw.get("description")), lpath))
        self.vxlans(nodes, node_bridges)
        self.ipv6_mtus(nodes)
        for (place, ifname), ipath in declared.items():
            sink.error(ipath, f"interface '{ifname}' of namespace {place.netns} is not an end of any link",
                       f"add a link such as {{a: {place.netns}:{ifname}, b: BRIDGE:veth-{place.netns}}}", key=True)
            nodes[place.node].namespaces[place.netns].interfaces.pop(ifname, None)  # type: ignore[index]
        return Topology(str(data["name"]), nodes, veths, self.text(("description",), data.get("description")), implicit,
                        self.checks(nodes))

    def ipv6_mtus(self, nodes: dict[str, Node]) -> None:
        """IPv6 addresses and routes on an interface whose MTU turns IPv6 off (the kernel refuses them)."""
        for node in nodes.values():
            for ns in node.all_netns():
                low = {name: i.mtu for name, i in ns.interfaces.items() if i.mtu is not None and i.mtu < IPV6_MIN_MTU}
                if not low:
                    continue
                hint = f"give it an MTU of {IPV6_MIN_MTU} or more, or only IPv4 addresses"
                for name in low:
                    iface = ns.interfaces[name]
                    v6 = next((a for a in iface.addresses if a.version == 6), None)
                    if v6 is not None:
                        self.sink.error(iface.path, f"{name} has MTU {low[name]} and the IPv6 address {v6}: Linux turns "
                                        f"IPv6 off below MTU {IPV6_MIN_MTU} and refuses the address", hint, key=True)
                for route in ns.routes:
                    if route.dst.version == 6 and route.dev in low:
                        self.sink.error(route.path + ("dev",), f"{route.dev} has MTU {low[route.dev]}: Linux turns IPv6 "
                                        f"off below MTU {IPV6_MIN_MTU} and refuses IPv6 routes out of it", hint)

    def vxlans(self, nodes: dict[str, Node], node_bridges: dict[str, dict[str, _Owner]]) -> None:
        """One VXLAN device per node of each segment, a port of the segment's bridge there."""
        for vname, vraw in (self.data.get("vxlans") or {}).items():
            path: YamlPath = ("vxlans", vname)
            if err := valid_ifname(vname):
                self.sink.error(path, err, "the segment's name is its device name on every node", key=True)
                continue
            mtu, vni, port = (self.integer(path + (key,), vraw.get(key)) for key in ("mtu", "vni", "port"))
            description = self.text(path + ("description",), vraw.get("description"))
            bridge = str(vraw["bridge"])
            on = [n for n in nodes if bridge in nodes[n].root.interfaces and nodes[n].root.interfaces[bridge].kind == Kind.BRIDGE]
            members = [str(n) for n in vraw.get("nodes", on)]
            for i, n in enumerate(members):
                if n not in nodes:
                    self.sink.error(path + ("nodes", i), f"unknown node {printable(n)}", _suggest(n, list(nodes)))
                elif n not in on:
                    self.sink.error(path + ("nodes", i), f"node {n} has no bridge {escape(bridge)}",
                                    f"declare it under nodes.{n}.bridges")
            members = [n for n in members if n in on]
            if len(members) < 2:
                self.sink.error(path + ("bridge",), f"a VXLAN segment joins a bridge on two or more nodes; {escape(bridge)} is on "
                                + (", ".join(on) or "none"), "declare the bridge on each node under nodes.NODE.bridges")
                continue
            missing = [n for n in members if nodes[n].underlay is None]
            if missing:
                self.sink.error(path, f"node {', '.join(missing)} has no `underlay:` address for the VXLAN tunnel",
                                "give each node its underlay address, e.g. underlay: 192.0.2.11/24")
                continue
            for n in members:
                root = nodes[n].root
                if vname in root.interfaces:
                    self.sink.error(path, f"node {n} already has an interface {vname}", "rename the segment", key=True)
                    continue
                local = nodes[n].underlay.ip  # type: ignore[union-attr]
                remotes = tuple(nodes[m].underlay.ip for m in members if m != n)  # type: ignore[union-attr]
                if any(r.version != local.version for r in remotes):
                    self.sink.error(path, "the nodes' underlay addresses mix IPv4 and IPv6")
                    break
                root.interfaces[vname] = Interface(vname, Kind.VXLAN, mtu=mtu, master=bridge,
                                                   spec=Vxlan(vni, 4789 if port is None else port, local, remotes),
                                                   description=description, path=path)

    @staticmethod
    def interface_of(nodes: dict[str, Node], end: EndRef) -> Interface:
        node = nodes[end.place.node]
        ns = node.root if end.place.netns is None else node.namespaces[end.place.netns]
        return ns.interfaces[end.ifname]


def build_topology(data: dict[str, Any], sink: DiagnosticSink) -> Topology:
    """Build the desired model from schema-valid data, reporting problems to `sink`."""
    return _Builder(data, sink).build()
