"""Capture of a namespace's routes from their facts (root-free)."""

from ipaddress import ip_address, ip_interface, ip_network

from provisioner.capture_core import Notes
from provisioner.kinds.route.capture import capture_routes
from provisioner.live import LiveLink, LiveNetns, LiveRoute
from provisioner.model import Interface, Kind, Route
from provisioner.rtnl import RTPROT_KERNEL, RTPROT_RA

ETH0 = Interface("eth0", Kind.VETH, addresses=(ip_interface("10.0.0.2/24"),))
LINKS = {name: LiveLink(i, name, "veth", None, 1500, "", True, None, 9) for i, name in ((2, "eth0"), (3, "eth1"))}


def _route(dst: str, via: str | None = None, dev: str | None = "eth0", metric: int = 0, proto: int = 3, **kw) -> LiveRoute:
    return LiveRoute(ip_network(dst), ip_address(via) if via else None, dev, metric, kw.get("onlink", False),
                     ip_address(kw["src"]) if "src" in kw else None, proto, kw.get("type", 1), kw.get("table", 254))


def _capture(ns: str | None, *routes: LiveRoute) -> tuple[list[Route], Notes]:
    notes = Notes()
    live = LiveNetns(ns, links=LINKS, routes=list(routes))
    return capture_routes(ns, live, {"eth0": ETH0}, {ip_address("10.0.0.2")}, notes), notes


def test_the_kernels_routes_are_left_out_and_default_metrics_not_written() -> None:
    got, notes = _capture("pod", _route("10.0.0.0/24", proto=RTPROT_KERNEL), _route("fd00::/64", proto=RTPROT_RA),
                          _route("0.0.0.0/0", "10.0.0.1"), _route("fd01::/64", dev="eth0", metric=1024),
                          _route("10.5.0.0/16", "10.0.0.1", metric=7, src="10.0.0.2"))
    assert got == [Route(ip_network("0.0.0.0/0"), ip_address("10.0.0.1"), "eth0"), Route(ip_network("fd01::/64"), dev="eth0"),
                   Route(ip_network("10.5.0.0/16"), ip_address("10.0.0.1"), "eth0", 7, src=ip_address("10.0.0.2"))]
    assert notes == Notes()


def test_what_cannot_be_written_as_read_is_noted() -> None:
    got, notes = _capture("pod", _route("10.9.0.0/16", type=6), _route("10.8.0.0/16", "10.0.0.1", dev="eth1"),
                          _route("10.7.0.0/16", dev=None), _route("10.6.0.0/16", "169.254.1.1"),
                          _route("10.4.0.0/16", src="10.0.0.99"))
    assert got == [Route(ip_network("10.6.0.0/16"), ip_address("169.254.1.1"), "eth0", onlink=True),
                   Route(ip_network("10.4.0.0/16"), dev="eth0")]
    assert notes.skipped == [
        "route 10.9.0.0/16 in namespace pod: route type 6 (blackhole, unreachable ...) is not modeled",
        "route 10.8.0.0/16 via 10.0.0.1 in namespace pod: its device eth1 is not captured",
        "route 10.7.0.0/16 in namespace pod: a multipath route (topo models single paths)",
        "route 10.6.0.0/16 via 169.254.1.1 in namespace pod: gateway 169.254.1.1 is in no subnet of eth0; written `onlink`",
        "route 10.4.0.0/16 in namespace pod: source 10.0.0.99 is not a captured address; written without `src`",
    ]


def test_root_routes_through_no_captured_interface_are_the_machines() -> None:
    got, notes = _capture(None, _route("0.0.0.0/0", "192.168.1.1", dev="eth1"), _route("10.9.0.0/16", dev=None, type=6),
                          _route("10.1.0.0/16", dev="eth0"))
    assert got == [Route(ip_network("10.1.0.0/16"), dev="eth0")]
    assert notes.skipped == []
    assert notes.left_out == ["2 routes of the root namespace that use none of the captured interfaces "
                              "(the node's own, e.g. via its uplink)"]


def test_routes_of_other_tables_keep_their_table_after_the_main_tables() -> None:
    got, notes = _capture("pod", _route("0.0.0.0/0", "10.0.0.1", table=200), _route("10.3.0.0/16", "10.0.0.1", table=100),
                          _route("0.0.0.0/0", "10.0.0.1"), _route("10.2.0.0/16", "10.0.0.1", table=200))
    assert [(str(r.dst), r.table) for r in got] == [("0.0.0.0/0", 254), ("0.0.0.0/0", 200), ("10.3.0.0/16", 100),
                                                     ("10.2.0.0/16", 200)]
    assert got[1] == Route(ip_network("0.0.0.0/0"), ip_address("10.0.0.1"), "eth0", table=200)
    assert notes == Notes()
