"""Executor: performs a plan's actions on the kernel, in order, through the namespace pool.

Each action is one small function keyed by its `Op`. A failure stops the run and names the
action and the object (`ActionFailed`); what was done before stays done, so applying again
after fixing the cause converges. Deletions of things already gone count as done.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any, Callable

from pyroute2.netlink.exceptions import NetlinkError

from .hostsfile import remove_netns_dir, set_managed_block, write_netns_hosts
from .live import RT_TABLE_MAIN, RTNH_F_ONLINK, RTPROT_TOPO, sysctl_path
from .netns import NetnsPool
from .planner import Action, AddressSpec, HostsSpec, LinkSpec, Op, Plan, RouteSpec, SysctlSpec, VethSpec

IFA_F_NODAD = 0x02
_GONE = (errno.ENODEV, errno.ENOENT, errno.ESRCH, errno.EADDRNOTAVAIL)


class ActionFailed(Exception):
    def __init__(self, action: Action, cause: BaseException):
        reason = cause.args[1] if isinstance(cause, NetlinkError) and len(cause.args) > 1 else str(cause)
        super().__init__(f"{action.op.value} {action.target} in {action.where}: {reason}")
        self.action = action
        self.cause = cause


@dataclass
class Executor:
    pool: NetnsPool
    lab: str
    progress: Callable[[Action], None] | None = None
    done: list[Action] = field(default_factory=list)

    def run(self, plan: Plan) -> None:
        for action in plan.actions:
            handler = _HANDLERS[action.op]
            try:
                handler(self, action)
            except (OSError, NetlinkError, ValueError) as exc:
                raise ActionFailed(action, exc) from exc
            self.done.append(action)
            if self.progress is not None:
                self.progress(action)

    # ---- helpers -------------------------------------------------------------------------
    def sock(self, netns: str | None) -> Any:
        return self.pool.socket(netns)

    def index(self, netns: str | None, ifname: str) -> int:
        return int(self.sock(netns).link("get", ifname=ifname)[0]["index"])

    def set_link(self, netns: str | None, ifname: str, spec: LinkSpec) -> None:
        kwargs: dict[str, Any] = {}
        if spec.mtu is not None:
            kwargs["mtu"] = spec.mtu
        if spec.mac is not None:
            kwargs["address"] = spec.mac
        if spec.alias is not None:
            kwargs["ifalias"] = spec.alias
        if spec.master is not None:
            kwargs["master"] = self.index(netns, spec.master)
        elif spec.nomaster:
            kwargs["master"] = 0
        if spec.up is not None:
            kwargs["state"] = "up" if spec.up else "down"
        if kwargs:
            self.sock(netns).link("set", ifname=ifname, **kwargs)


def _create_netns(ex: Executor, a: Action) -> None:
    assert a.netns is not None
    ex.pool.create(a.netns)


def _adopt_netns(ex: Executor, a: Action) -> None:
    """Nothing to do in the kernel: the record says the namespace is the lab's now."""


def _delete_netns(ex: Executor, a: Action) -> None:
    assert a.netns is not None
    ex.pool.delete(a.netns)
    remove_netns_dir(a.netns)


def _create_bridge(ex: Executor, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, LinkSpec)
    name = a.target.split(" ", 1)[1]
    kwargs: dict[str, Any] = {}
    if spec.mtu is not None:
        kwargs["mtu"] = spec.mtu
    if spec.mac is not None:
        kwargs["address"] = spec.mac
    ex.sock(a.netns).link("add", ifname=name, kind="bridge", **kwargs)
    ex.set_link(a.netns, name, LinkSpec(alias=spec.alias, up=spec.up))


def _create_veth(ex: Executor, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, VethSpec)
    peer: dict[str, Any] = {"ifname": spec.b_name}
    fd = ex.pool.fd(spec.b_netns)
    try:
        peer["net_ns_fd"] = fd
        if spec.b.mtu is not None:
            peer["mtu"] = spec.b.mtu
        if spec.b.mac is not None:
            peer["address"] = spec.b.mac
        kwargs: dict[str, Any] = {}
        if spec.a.mtu is not None:
            kwargs["mtu"] = spec.a.mtu
        if spec.a.mac is not None:
            kwargs["address"] = spec.a.mac
        ex.sock(spec.a_netns).link("add", ifname=spec.a_name, kind="veth", peer=peer, **kwargs)
    finally:
        import os

        os.close(fd)
    for netns, name, end in ((spec.a_netns, spec.a_name, spec.a), (spec.b_netns, spec.b_name, spec.b)):
        ex.set_link(netns, name, LinkSpec(alias=end.alias, master=end.master, up=end.up))


def _delete_link(ex: Executor, a: Action) -> None:
    name = a.target.split(" ")[1]
    try:
        ex.sock(a.netns).link("del", ifname=name)
    except NetlinkError as exc:
        if exc.code not in _GONE:
            raise


def _set_link(ex: Executor, a: Action) -> None:
    assert isinstance(a.payload, LinkSpec)
    ex.set_link(a.netns, a.target.split(" ")[1], a.payload)


def _address(ex: Executor, a: Action, command: str) -> None:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    kwargs: dict[str, Any] = {}
    if spec.address.version == 6 and command == "add":
        kwargs["flags"] = IFA_F_NODAD
    try:
        ex.sock(a.netns).addr(command, index=ex.index(a.netns, spec.ifname), address=str(spec.address.ip),
                              prefixlen=spec.address.network.prefixlen, **kwargs)
    except NetlinkError as exc:
        if command == "del" and exc.code in _GONE:
            return
        raise


def _add_address(ex: Executor, a: Action) -> None:
    _address(ex, a, "add")


def _delete_address(ex: Executor, a: Action) -> None:
    _address(ex, a, "del")


def _route_args(ex: Executor, netns: str | None, spec: RouteSpec) -> dict[str, Any]:
    r = spec.route
    kwargs: dict[str, Any] = {
        "dst": str(r.dst),
        "table": RT_TABLE_MAIN,
        "proto": RTPROT_TOPO,
        "family": 10 if r.dst.version == 6 else 2,
    }
    if r.via is not None:
        kwargs["gateway"] = str(r.via)
    if r.dev is not None:
        kwargs["oif"] = ex.index(netns, r.dev)
    kwargs["priority"] = r.metric if r.metric is not None else (1024 if r.dst.version == 6 else 0)
    if r.onlink:
        kwargs["flags"] = RTNH_F_ONLINK
    if r.src is not None:
        kwargs["prefsrc"] = str(r.src)
    return kwargs


def _set_route(ex: Executor, a: Action) -> None:
    assert isinstance(a.payload, RouteSpec)
    ex.sock(a.netns).route("replace", **_route_args(ex, a.netns, a.payload))


def _delete_route(ex: Executor, a: Action) -> None:
    assert isinstance(a.payload, RouteSpec)
    r = a.payload.route
    kwargs: dict[str, Any] = {"dst": str(r.dst), "table": RT_TABLE_MAIN, "family": 10 if r.dst.version == 6 else 2,
                              "priority": r.metric if r.metric is not None else 0}
    try:
        ex.sock(a.netns).route("del", **kwargs)
    except NetlinkError as exc:
        if exc.code not in _GONE:
            raise


def _set_sysctl(ex: Executor, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, SysctlSpec)
    with ex.pool.inside(a.netns):
        with open(sysctl_path(spec.key), "w") as fh:
            fh.write(spec.value)


def _write_hosts(ex: Executor, a: Action) -> None:
    spec = a.payload
    assert isinstance(spec, HostsSpec)
    if a.netns is None:
        set_managed_block(ex.lab, spec.text)
    elif spec.text is not None:
        write_netns_hosts(a.netns, spec.text)


_HANDLERS: dict[Op, Callable[[Executor, Action], None]] = {
    Op.CREATE_NETNS: _create_netns,
    Op.ADOPT_NETNS: _adopt_netns,
    Op.DELETE_NETNS: _delete_netns,
    Op.CREATE_BRIDGE: _create_bridge,
    Op.CREATE_VETH: _create_veth,
    Op.DELETE_LINK: _delete_link,
    Op.SET_LINK: _set_link,
    Op.ADD_ADDRESS: _add_address,
    Op.DELETE_ADDRESS: _delete_address,
    Op.SET_ROUTE: _set_route,
    Op.DELETE_ROUTE: _delete_route,
    Op.SET_SYSCTL: _set_sysctl,
    Op.WRITE_HOSTS: _write_hosts,
    Op.REMOVE_HOSTS: _write_hosts,
}
