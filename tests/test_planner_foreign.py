"""The planner on objects another tool (or lab) made, without a kernel: table-driven cases of
live facts against one small lab (a bridge, one pod, a root route, a hosts entry).

Exactly as declared: unmanaged, no change, nothing recorded. Different from the file: one
conflict per object naming what differs, and no action on it. With adopt: taken over."""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Callable

import pytest

from provisioner.diagnostics import Severity
from provisioner.live import RTPROT_TOPO, LiveLink, LiveNetns, LiveRoute, LiveState
from provisioner.loader import load_text
from provisioner.model import Topology
from provisioner.core.keys import RouteKey
from provisioner.kinds.hosts.ops import WRITE_HOSTS
from provisioner.kinds.route.ops import SET_ROUTE
from provisioner.planner import Plan, make_plan
from provisioner.state import LabRecord
from provisioner.validate import validate_document

LAB = """
name: lab
bridges:
  br0: {addresses: [10.9.0.1/24]}
namespaces:
  pod1:
    interfaces: {eth0: {addresses: [10.9.0.2/24]}}
    routes: [{to: default, via: 10.9.0.1}]
links:
  - {a: pod1:eth0, b: br0:veth1}
routes:
  - {to: 10.10.0.0/16, via: 10.9.0.2}
hosts:
  pod1: 10.9.0.2
"""

RTPROT_BOOT = 3
RTPROT_KERNEL = 2


def topology(text: str = LAB) -> Topology:
    result = validate_document(load_text("lab.yaml", text))
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert result.topology is not None
    return result.topology


def ip(text: str) -> ipaddress.IPv4Interface:
    return ipaddress.ip_interface(text)  # type: ignore[return-value]


def route(dst: str, via: str | None, dev: str, proto: int = RTPROT_BOOT, metric: int = 0, src: str | None = None) -> LiveRoute:
    return LiveRoute(ipaddress.ip_network(dst), ipaddress.ip_address(via) if via else None, dev, metric, False,
                     ipaddress.ip_address(src) if src else None, proto)


@dataclass
class Machine:
    """What another tool made: the lab exactly, by hand (no topo alias marks, no topo hosts file)."""

    root_links: dict[str, LiveLink] = field(default_factory=lambda: {
        "lo": LiveLink(1, "lo", "loopback", None, 65536, "00:00:00:00:00:00", True, None, None),
        "br0": LiveLink(2, "br0", "bridge", None, 1500, "aa:00:00:00:00:01", True, None, None),
        "veth1": LiveLink(3, "veth1", "veth", None, 1500, "aa:00:00:00:00:02", True, "br0", 2, True, 0),
    })
    root_addresses: dict[str, set] = field(default_factory=lambda: {"lo": set(), "br0": {ip("10.9.0.1/24")}, "veth1": set()})
    root_routes: list[LiveRoute] = field(default_factory=lambda: [
        route("10.9.0.0/24", None, "br0", RTPROT_KERNEL, src="10.9.0.1"),
        route("10.10.0.0/16", "10.9.0.2", "br0"),
    ])
    pod_links: dict[str, LiveLink] = field(default_factory=lambda: {
        "lo": LiveLink(1, "lo", "loopback", None, 65536, "00:00:00:00:00:00", True, None, None),
        "eth0": LiveLink(2, "eth0", "veth", None, 1500, "aa:00:00:00:00:03", True, None, 3, True, 0),
    })
    pod_addresses: dict[str, set] = field(default_factory=lambda: {"lo": set(), "eth0": {ip("10.9.0.2/24")}})
    pod_routes: list[LiveRoute] = field(default_factory=lambda: [
        route("10.9.0.0/24", None, "eth0", RTPROT_KERNEL, src="10.9.0.2"),
        route("0.0.0.0/0", "10.9.0.1", "eth0"),
    ])
    pod_hosts: str | None = None
    node_hosts: dict = field(default_factory=lambda: {"pod1": (ipaddress.ip_address("10.9.0.2"),)})

    def live(self) -> LiveState:
        root = LiveNetns(None, None, self.root_links, self.root_addresses, self.root_routes)
        pod = LiveNetns("pod1", 42, self.pod_links, self.pod_addresses, self.pod_routes, hosts=self.pod_hosts)
        return LiveState(root, {"pod1": pod}, {"pod1"}, node_hosts=self.node_hosts)


def plan(machine: Machine, adopt: bool = False, record: LabRecord | None = None) -> Plan:
    return make_plan(topology(), "host", machine.live(), record, adopt)


def _set(name: str, **changes: object) -> Callable[[Machine], None]:
    def edit(m: Machine) -> None:
        where = m.pod_links if name.startswith("pod1:") else m.root_links
        link = name.split(":")[-1]
        where[link] = dataclasses.replace(where[link], **changes)
    return edit


def test_exactly_as_declared_is_no_change() -> None:
    p = plan(Machine())
    assert p.empty and not p.actions and not p.conflicts
    assert sorted(u.target for u in p.unmanaged) == [
        "/etc/hosts entries pod1", "link br0", "link veth1", "namespace pod1", "route 10.10.0.0/16 via 10.9.0.2"]
    assert p.record is not None and p.record.namespaces == [] and p.record.root_routes == [], "nothing is recorded"


EDITS: dict[str, tuple[Callable[[Machine], None], str, str]] = {
    # case: (edit of the machine, conflict target, what the message must name)
    "pod address": (lambda m: m.pod_addresses["eth0"].add(ip("10.9.0.99/24")), "namespace pod1", "- address 10.9.0.99/24 on eth0"),
    "pod link down": (_set("pod1:eth0", up=False), "namespace pod1", "link eth0: down -> up"),
    "pod route": (lambda m: m.pod_routes.pop(), "namespace pod1", "+ route default via 10.9.0.1"),
    "pod hosts file": (lambda m: setattr(m, "pod_hosts", "10.1.1.1 other\n"), "namespace pod1", "hosts file /etc/netns/pod1/hosts"),
    "bridge down": (_set("br0", up=False), "link br0", "link br0: down -> up"),
    "bridge address": (lambda m: m.root_addresses["br0"].clear(), "link br0", "+ address 10.9.0.1/24 on br0"),
    "port master": (_set("veth1", master=None), "link veth1", "master (none) -> master br0"),
    "root route gateway": (lambda m: m.root_routes.__setitem__(1, route("10.10.0.0/16", "10.9.0.3", "br0")),
                           "route 10.10.0.0/16", "10.10.0.0/16 via 10.9.0.3 dev br0 -> 10.10.0.0/16 via 10.9.0.2"),
    "root blackhole": (lambda m: m.root_routes.__setitem__(1, dataclasses.replace(route("10.10.0.0/16", None, None), type=6)),
                       "route 10.10.0.0/16", "blackhole 10.10.0.0/16"),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_a_difference_is_one_conflict_and_no_action(case: str) -> None:
    edit, target, named = EDITS[case]
    machine = Machine()
    edit(machine)
    p = plan(machine)
    assert [c.target for c in p.conflicts] == [target], p.conflicts
    assert named in p.conflicts[0].message, p.conflicts[0].message
    assert "was not created by lab lab" in p.conflicts[0].message and "--adopt" in p.conflicts[0].hint
    assert not [a for a in p.actions if a.op is not WRITE_HOSTS or a.netns is not None], p.actions
    assert target not in {u.target for u in p.unmanaged}


def test_a_hosts_file_with_the_same_entries_is_in_sync() -> None:
    from provisioner.hostsfile import render_netns_hosts

    m = Machine(pod_hosts=render_netns_hosts("another-lab", {}))  # another header, the same (no) entries
    assert plan(m).empty
    m.pod_hosts = "# written by another tool\n127.0.0.1 localhost\n::1\tlocalhost ip6-localhost\n"
    assert plan(m).empty
    m.pod_hosts += "10.9.0.2 pod1\n"  # an entry the file does not declare for the pod
    assert [c.target for c in plan(m).conflicts] == ["namespace pod1"]


def test_hosts_entries_missing_from_etc_hosts_are_written() -> None:
    p = plan(Machine(node_hosts={}))
    assert [(a.op, a.target) for a in p.actions] == [(WRITE_HOSTS, "/etc/hosts block of lab lab")]
    assert "/etc/hosts entries pod1" not in {u.target for u in p.unmanaged}


def test_adopt_takes_everything_over() -> None:
    p = plan(Machine(), adopt=True)
    assert not p.conflicts
    assert [u.target for u in p.unmanaged] == ["/etc/hosts entries pod1"], "lines of /etc/hosts are never taken over"
    ops = sorted((a.op.value, a.target) for a in p.actions)
    assert ("adopt-namespace", "namespace pod1") in ops
    assert {t for o, t in ops if o == "set-link"} == {"link br0", "link veth1", "link eth0"}, "the alias marks"
    route_action = next(a for a in p.actions if a.op is SET_ROUTE)
    assert route_action.payload.replace and "not the lab's" in (route_action.before or "")  # type: ignore[union-attr]
    assert p.record is not None and p.record.namespaces == ["pod1"] and len(p.record.root_routes) == 1


def test_the_labs_own_objects_are_not_unmanaged() -> None:
    m = Machine()
    for name in ("br0", "veth1"):
        _set(name, alias="topo:lab")(m)
    _set("pod1:eth0", alias="topo:lab")(m)
    m.root_routes[1] = dataclasses.replace(m.root_routes[1], proto=RTPROT_TOPO)
    # pod1 declares no hosts entries: the lab wants no hosts file there (the machine has none)
    record = LabRecord("lab", "host", ["pod1"], [RouteKey(None, ipaddress.ip_network("10.10.0.0/16"), 0)])
    p = plan(m, record=record)
    assert [u.target for u in p.unmanaged] == ["/etc/hosts entries pod1"]
    assert not p.conflicts and not p.actions, p.actions


def test_a_device_of_another_kind_is_one_conflict_and_nothing_else() -> None:
    m = Machine()
    m.root_links["br0"] = dataclasses.replace(m.root_links["br0"], kind="dummy")
    for adopt in (False, True):
        p = plan(m, adopt=adopt)
        assert [c.target for c in p.conflicts] == ["link br0"], p.conflicts
        assert not [a for a in p.actions if "br0" in a.target], p.actions  # no address, alias or setting on it


SYSCTLS = """
name: lab
sysctls: {net.ipv4.conf.all.accept_redirects: 0}
"""


def sysctl_plan(live: dict[str, str], originals: dict[str, str | None]) -> Plan:
    m = Machine()
    state = m.live()
    state.root.sysctls = dict(live)
    return make_plan(topology(SYSCTLS), "host", state, LabRecord("lab", "host", sysctls=originals))


def test_a_restored_forwarding_switch_goes_first_and_its_knobs_after() -> None:
    # the lab switched forwarding on before; the file no longer says so: restore it, and since
    # the kernel then rewrites accept_redirects, write the declared value again after it
    p = sysctl_plan({"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.accept_redirects": "0"},
                    {"net.ipv4.ip_forward": "0", "net.ipv4.conf.all.accept_redirects": None})
    assert [(a.target, a.after) for a in p.actions] == [
        ("sysctl net.ipv4.ip_forward", "0 (restored)"), ("sysctl net.ipv4.conf.all.accept_redirects", "0")]


def test_a_knob_the_kernel_set_with_forwarding_has_no_original_of_its_own() -> None:
    # forwarding switched on by the lab (live 1, original 0) made the kernel set accept_redirects
    # to 0: that 0 is not the machine's own value, so destroy must not write it back
    p = sysctl_plan({"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.accept_redirects": "0"}, {"net.ipv4.ip_forward": "0"})
    assert p.record is not None and p.record.sysctls["net.ipv4.conf.all.accept_redirects"] is None
    # without a switch by the lab, the live value is the original
    p = sysctl_plan({"net.ipv4.ip_forward": "0", "net.ipv4.conf.all.accept_redirects": "1"}, {"net.ipv4.ip_forward": "0"})
    assert p.record is not None and p.record.sysctls["net.ipv4.conf.all.accept_redirects"] == "1"
