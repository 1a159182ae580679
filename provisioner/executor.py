"""Executor: performs a plan's actions on the kernel, phase by phase, through the namespace pool.

Actions of one phase are independent of each other, so the netlink requests of a phase are
grouped by namespace and sent pipelined (`RtnlSocket.batch`): one round trip per namespace
and phase instead of one per object. File and namespace operations run one by one. A failure
stops the run and names the action and the object (`ActionFailed`); what was done before
stays done, so applying again after fixing the cause converges. Deleting something already
gone counts as done.
"""

from __future__ import annotations

import itertools
import os
import struct
import time
from dataclasses import dataclass, field, replace
from typing import Callable


from .interrupt import Interrupted, StopFlag
from .hostsfile import remove_netns_dir, set_managed_block, write_netns_hosts
from .live import RT_TABLE_MAIN, RTNH_F_ONLINK, RTPROT_TOPO
from .names import sysctl_path
from .model import Route
from .netns import NetnsPool
from .state import alias_for
from .planner import (
    PHASE,
    Action,
    AddressSpec,
    FdbSpec,
    HostsSpec,
    LinkSpec,
    Op,
    Plan,
    ProcessSpec,
    RouteSpec,
    SysctlSpec,
    VethSpec,
    VxlanSpec,
)
from .rtnl import (
    AF_BRIDGE,
    IFLA_VXLAN_ID,
    IFLA_VXLAN_LEARNING,
    IFLA_VXLAN_LOCAL,
    IFLA_VXLAN_LOCAL6,
    IFLA_VXLAN_PORT,
    NDA_DST,
    NDA_LLADDR,
    NLM_F_APPEND,
    NTF_SELF,
    NUD_NOARP,
    NUD_PERMANENT,
    RTM_DELNEIGH,
    RTM_NEWNEIGH,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REPLACE,
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELROUTE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWROUTE,
    Msg,
    ifaddr,
    ifinfo,
    is_gone,
    ndmsg,
    rta,
    rta_str,
    rta_u32,
    rtmsg_body,
)

IFF_UP = 1
IFA_F_NODAD = 0x02
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_LINKINFO, IFLA_IFALIAS = 1, 3, 4, 10, 18, 20
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 5, 6, 7, 15
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
RT_SCOPE_NOWHERE = 255
RTN_UNICAST = 1
VANISH_TIMEOUT = 30.0


class ActionFailed(Exception):
    def __init__(self, action: Action, cause: BaseException):
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        super().__init__(f"{action.op.value} {action.target} in {action.where}: {reason}")
        self.action = action
        self.cause = cause


@dataclass
class _Request:
    """One netlink message for one action; `tolerate_gone` for deletions."""

    netns: str | None
    msg: Msg
    action: Action
    tolerate_gone: bool = False


@dataclass
class Executor:
    pool: NetnsPool
    lab: str
    progress: Callable[[Action], None] | None = None
    done: list[Action] = field(default_factory=list)
    stop: StopFlag | None = None
    open_fds: list[int] = field(default_factory=list)
    _queued: list[_Request] = field(default_factory=list)
    _queued_actions: list[Action] = field(default_factory=list)
    _indexes: dict[str | None, dict[str, int]] = field(default_factory=dict)

    def run(self, plan: Plan) -> None:
        for _, group in itertools.groupby(plan.actions, key=lambda a: PHASE[a.op]):
            actions = list(group)
            if actions[0].op not in TAIL:
                self.flush()
                self.check_stop()
            self.run_phase(actions)
        self.flush()

    def check_stop(self) -> None:
        """Between steps: stop here if SIGINT or SIGTERM arrived."""
        if self.stop is not None and self.stop.signame is not None:
            raise Interrupted(self.stop.signame, len(self.done))

    def flush(self) -> None:
        """Send what the namespace-local phases queued: one batch per namespace."""
        queued, self._queued = self._queued, []
        self.send(queued)
        for action in self._queued_actions:
            self._finish(action)
        self._queued_actions = []

    # ---- phases --------------------------------------------------------------------------
    def run_phase(self, actions: list[Action]) -> None:
        requests: list[_Request] = []
        followups: list[_Request] = []
        if actions[0].op in TAIL:
            # no request of these phases changes another namespace, and links exist already:
            # queue them so each namespace gets one batch for all of them
            for action in actions:
                local = _LOCAL.get(action.op)
                try:
                    if local is not None:
                        local(self, action)
                        self._finish(action)
                        continue
                    first, then = _BUILDERS[action.op](self, action)
                except OSError as exc:
                    raise ActionFailed(action, exc) from exc
                self._queued += first + then
                self._queued_actions.append(action)
            return
        if actions[0].op in PARALLEL and len(actions) > 1:
            self.run_parallel(actions)
            return
        if actions[0].op is Op.DELETE_LINK:
            actions = self.wait_vanishing(actions)
        for action in actions:
            try:
                local = _LOCAL.get(action.op)
                if local is not None:
                    self.check_stop()
                    local(self, action)
                    self._finish(action)
                    continue
                first, then = _BUILDERS[action.op](self, action)
            except OSError as exc:
                raise ActionFailed(action, exc) from exc
            requests += first
            followups += then
        try:
            self.send(requests)
        finally:
            for fd in self.open_fds:
                os.close(fd)
            self.open_fds.clear()
        self._queued += followups  # e.g. bringing up a new veth's peer: with its namespace's batch
        for action in actions:
            if action.op not in _LOCAL:
                self._finish(action)


    def wait_vanishing(self, actions: list[Action]) -> list[Action]:
        """Links that go with the namespaces this run deleted: one dump per namespace and poll
        for all of them (not one per link); the ones still there after the timeout, and every
        other deletion, are returned to be deleted one by one."""
        waiting: dict[str | None, dict[str, Action]] = {}
        rest = []
        for a in actions:
            assert isinstance(a.payload, LinkSpec)
            if a.payload.vanishes:
                waiting.setdefault(a.netns, {})[a.payload.name] = a
            else:
                rest.append(a)
        deadline = time.monotonic() + VANISH_TIMEOUT
        while waiting and time.monotonic() < deadline:
            for netns in list(waiting):
                present = {link.name for link in self.pool.socket(netns).links()}
                for name in [n for n in waiting[netns] if n not in present]:
                    self._finish(waiting[netns].pop(name))
                if not waiting[netns]:
                    del waiting[netns]
            if waiting:
                time.sleep(0.02)
        self._indexes.clear()
        leftover = [a for by_name in waiting.values() for a in by_name.values()]
        # still there after the wait: delete them outright
        return [replace(a, payload=replace(a.payload, vanishes=False)) for a in leftover] + rest  # type: ignore[type-var]

    def run_parallel(self, actions: list[Action]) -> None:
        """Independent local actions (unpinning namespaces) on a few threads: the kernel's
        teardown of one namespace then overlaps the next one's (about 7x faster for 500)."""
        from concurrent.futures import ThreadPoolExecutor

        local = _LOCAL[actions[0].op]
        for start in range(0, len(actions), PARALLEL_CHUNK):
            self.check_stop()  # between chunks: a stop leaves whole steps done, as elsewhere
            chunk = actions[start:start + PARALLEL_CHUNK]
            with ThreadPoolExecutor(max_workers=PARALLEL_WORKERS) as pool:
                errors = list(pool.map(lambda a: _attempt(local, self, a), chunk))
            for action, err in zip(chunk, errors):
                if err is not None:
                    raise ActionFailed(action, err) from err
                self._finish(action)

    def send(self, requests: list[_Request]) -> None:
        by_netns: dict[str | None, list[_Request]] = {}
        for req in requests:
            by_netns.setdefault(req.netns, []).append(req)
        for netns, reqs in by_netns.items():
            self.check_stop()
            errors = self.pool.socket(netns).batch([r.msg for r in reqs])
            self._indexes.pop(netns, None)
            for req, err in zip(reqs, errors):
                if err is not None and not (req.tolerate_gone and is_gone(err)):
                    raise ActionFailed(req.action, err)

    def _finish(self, action: Action) -> None:
        self.done.append(action)
        if self.progress is not None:
            self.progress(action)

    # ---- helpers -------------------------------------------------------------------------
    def index(self, netns: str | None, ifname: str) -> int:
        cache = self._indexes.get(netns)
        if cache is None or ifname not in cache:
            cache = {link.name: link.index for link in self.pool.socket(netns).links()}
            self._indexes[netns] = cache
        try:
            return cache[ifname]
        except KeyError:
            raise OSError(19, f"no interface {ifname}") from None

    def link_msg(self, netns: str | None, name: str, spec: LinkSpec, *, create: str | None = None) -> Msg:
        """RTM_NEWLINK that changes (or, with `create=KIND`, creates) link `name`, by name."""
        flags = change = 0
        if spec.up is not None:
            flags, change = (IFF_UP if spec.up else 0), IFF_UP
        attrs = [rta_str(IFLA_IFNAME, name)]
        if spec.mtu is not None:
            attrs.append(rta_u32(IFLA_MTU, spec.mtu))
        if spec.mac is not None:
            attrs.append(rta(IFLA_ADDRESS, bytes.fromhex(spec.mac.replace(":", ""))))
        if spec.master is not None:
            attrs.append(rta_u32(IFLA_MASTER, self.index(netns, spec.master)))
        elif spec.nomaster:
            attrs.append(rta_u32(IFLA_MASTER, 0))
        if spec.alias is not None and create is None:
            attrs.append(rta_str(IFLA_IFALIAS, spec.alias))
        if create is not None:
            attrs.append(rta(IFLA_LINKINFO, rta_str(IFLA_INFO_KIND, create)))
        body = ifinfo(0, flags, change) + b"".join(attrs)
        return Msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL if create else 0, body)


Built = tuple[list[_Request], list[_Request]]


# ---- actions done here, not over netlink -----------------------------------------------------
def _create_netns(ex: Executor, a: Action) -> None:
    assert a.netns is not None
    ex.pool.create(a.netns)
    # the namespace's own mark: its lo carries the lab's alias, so that the kernel alone tells
    # the lab's namespaces (`destroy --from-kernel`, when the record is lost or corrupt)
    [err] = ex.pool.socket(a.netns).batch([ex.link_msg(a.netns, "lo", LinkSpec(alias=alias_for(ex.lab)))])
    if err is not None:
        raise err


def _adopt_netns(ex: Executor, a: Action) -> None:
    """Nothing to do in the kernel: the record says the namespace is the lab's now."""


def _delete_netns(ex: Executor, a: Action) -> None:
    assert a.netns is not None
    remove_netns_dir(a.netns)  # first: killed in between, the namespace (recorded) is still there to delete
    ex.pool.delete(a.netns)


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


def _start_process(ex: Executor, a: Action) -> None:
    from .processes import start

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and spec.process is not None and a.netns is not None
    start(ex.lab, a.netns, spec.process)


def _stop_process(ex: Executor, a: Action) -> None:
    from .processes import stop

    spec = a.payload
    assert isinstance(spec, ProcessSpec) and a.netns is not None
    stop(ex.lab, a.netns, spec.name)


def _delete_link(ex: Executor, a: Action) -> None:
    """Delete a link now (the ones that vanish with a deleted namespace were waited for by
    Executor.wait_vanishing: the kernel removes those in one batch, much faster)."""
    assert isinstance(a.payload, LinkSpec)
    name = a.payload.name
    msg = Msg(RTM_DELLINK, 0, ifinfo() + rta_str(IFLA_IFNAME, name))
    err = ex.pool.socket(a.netns).batch([msg])[0]
    ex._indexes.pop(a.netns, None)
    if err is not None and not is_gone(err):
        raise err


# ---- actions sent as netlink messages -----------------------------------------------------
def _create_bridge(ex: Executor, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, LinkSpec) and spec.name
    create = ex.link_msg(a.netns, spec.name, LinkSpec(mac=spec.mac, up=spec.up), create="bridge")
    # the MTU in a second request: set at creation the kernel does not count it as chosen and
    # resets it to 1500 when the last port leaves (br_mtu_auto_adjust)
    alias = ex.link_msg(a.netns, spec.name, LinkSpec(mtu=spec.mtu, alias=spec.alias))
    return [_Request(a.netns, create, a), _Request(a.netns, alias, a)], []


def _create_veth(ex: Executor, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, VethSpec)
    # create from the root namespace when one end is there: all of a phase's veths then go
    # out in one batch on the root socket
    ends = [(spec.a_netns, spec.a_name, spec.a), (spec.b_netns, spec.b_name, spec.b)]
    if spec.a_netns is not None and spec.b_netns is None:
        ends.reverse()
    (p_ns, p_name, p_spec), (q_ns, q_name, q_spec) = ends
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg  # nested peer info: pyroute2 encodes it

    msg = ifinfmsg()
    msg["index"] = 0
    msg["flags"] = IFF_UP if p_spec.up else 0
    msg["change"] = IFF_UP
    attrs: list[tuple[str, object]] = [("IFLA_IFNAME", p_name)]
    if p_spec.mtu is not None:
        attrs.append(("IFLA_MTU", p_spec.mtu))
    if p_spec.mac is not None:
        attrs.append(("IFLA_ADDRESS", p_spec.mac))
    if p_spec.master is not None:
        attrs.append(("IFLA_MASTER", ex.index(p_ns, p_spec.master)))
    fd = ex.pool.fd(q_ns)
    ex.open_fds.append(fd)  # the kernel reads it when the request arrives: closed after the send
    peer_attrs: list[tuple[str, object]] = [("IFLA_IFNAME", q_name), ("IFLA_NET_NS_FD", fd)]
    if q_spec.mtu is not None:
        peer_attrs.append(("IFLA_MTU", q_spec.mtu))
    if q_spec.mac is not None:
        peer_attrs.append(("IFLA_ADDRESS", q_spec.mac))
    # the peer cannot be brought up inside the create request (veth_open: ENOTCONN until
    # both ends exist); it is brought up with its alias right after
    peer = {"index": 0, "flags": 0, "change": 0, "attrs": peer_attrs}
    attrs.append(("IFLA_LINKINFO", {"attrs": [
        ("IFLA_INFO_KIND", "veth"),
        ("IFLA_INFO_DATA", {"attrs": [("VETH_INFO_PEER", peer)]}),
    ]}))
    msg["attrs"] = attrs
    create = Msg.from_pyroute2(msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
    first = [_Request(p_ns, create, a), _Request(p_ns, ex.link_msg(p_ns, p_name, LinkSpec(alias=p_spec.alias)), a)]
    peer_settings = LinkSpec(alias=q_spec.alias, master=q_spec.master, up=q_spec.up)
    return first, [_Request(q_ns, ex.link_msg(q_ns, q_name, peer_settings), a)]


def _create_vxlan(ex: Executor, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, VxlanSpec)
    v, link = spec.vxlan, spec.link
    local = rta(IFLA_VXLAN_LOCAL if v.local.version == 4 else IFLA_VXLAN_LOCAL6, v.local.packed)
    data = rta_u32(IFLA_VXLAN_ID, v.vni) + local + rta(IFLA_VXLAN_PORT, struct.pack(">H", v.port))
    data += rta(IFLA_VXLAN_LEARNING, b"\x01")
    attrs = [rta_str(IFLA_IFNAME, link.name)]
    if link.mtu is not None:
        attrs.append(rta_u32(IFLA_MTU, link.mtu))
    if link.mac is not None:
        attrs.append(rta(IFLA_ADDRESS, bytes.fromhex(link.mac.replace(":", ""))))
    attrs.append(rta(IFLA_LINKINFO, rta_str(IFLA_INFO_KIND, "vxlan") + rta(IFLA_INFO_DATA, data)))
    create = Msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfo() + b"".join(attrs))
    settings = ex.link_msg(a.netns, link.name, LinkSpec(alias=link.alias, master=link.master, up=link.up))
    return [_Request(a.netns, create, a), _Request(a.netns, settings, a)], []


def _fdb_msg(ex: Executor, a: Action, msg_type: int, flags: int) -> Msg:
    spec = a.payload
    assert isinstance(spec, FdbSpec)
    body = ndmsg(AF_BRIDGE, ex.index(a.netns, spec.ifname), NUD_PERMANENT | NUD_NOARP, NTF_SELF)
    body += rta(NDA_LLADDR, bytes(6)) + rta(NDA_DST, spec.remote.packed)
    return Msg(msg_type, flags, body)


def _add_fdb(ex: Executor, a: Action) -> Built:
    return [_Request(a.netns, _fdb_msg(ex, a, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND), a)], []


def _delete_fdb(ex: Executor, a: Action) -> Built:
    return [_Request(a.netns, _fdb_msg(ex, a, RTM_DELNEIGH, 0), a, tolerate_gone=True)], []


def _set_link(ex: Executor, a: Action) -> Built:
    spec = a.payload
    assert isinstance(spec, LinkSpec) and spec.name
    return [_Request(a.netns, ex.link_msg(a.netns, spec.name, spec), a)], []


def _address_msg(ex: Executor, a: Action, msg_type: int, flags: int) -> Msg:
    spec = a.payload
    assert isinstance(spec, AddressSpec)
    addr = spec.address
    raw = addr.ip.packed
    body = ifaddr(10 if addr.version == 6 else 2, addr.network.prefixlen, ex.index(a.netns, spec.ifname))
    body += rta(IFA_LOCAL, raw) + rta(IFA_ADDRESS, raw)
    if addr.version == 6 and msg_type == RTM_NEWADDR:
        body += rta_u32(IFA_FLAGS, IFA_F_NODAD)
    return Msg(msg_type, flags, body)


def _add_address(ex: Executor, a: Action) -> Built:
    assert isinstance(a.payload, AddressSpec)
    flags = NLM_F_CREATE | (NLM_F_REPLACE if a.payload.again else NLM_F_EXCL)
    return [_Request(a.netns, _address_msg(ex, a, RTM_NEWADDR, flags), a)], []


def _delete_address(ex: Executor, a: Action) -> Built:
    return [_Request(a.netns, _address_msg(ex, a, RTM_DELADDR, 0), a, tolerate_gone=True)], []


def _route_msg(ex: Executor, netns: str | None, r: Route, msg_type: int, flags: int) -> Msg:
    new = msg_type == RTM_NEWROUTE
    # deletions match any scope (RT_SCOPE_NOWHERE); the kernel compares it exactly otherwise
    scope = (RT_SCOPE_UNIVERSE if r.via is not None else RT_SCOPE_LINK) if new else RT_SCOPE_NOWHERE
    body = rtmsg_body(10 if r.dst.version == 6 else 2, r.dst.prefixlen, RT_TABLE_MAIN,
                      RTPROT_TOPO if new else 0, scope, RTN_UNICAST, RTNH_F_ONLINK if (new and r.onlink) else 0)
    body += rta_u32(RTA_TABLE, RT_TABLE_MAIN)
    if r.dst.prefixlen:
        body += rta(RTA_DST, r.dst.network_address.packed)
    body += rta_u32(RTA_PRIORITY, r.kernel_metric)
    if new:
        if r.via is not None:
            body += rta(RTA_GATEWAY, r.via.packed)
        if r.dev is not None:
            body += rta_u32(RTA_OIF, ex.index(netns, r.dev))
        if r.src is not None:
            body += rta(RTA_PREFSRC, r.src.packed)
    return Msg(msg_type, flags, body)


def _set_route(ex: Executor, a: Action) -> Built:
    assert isinstance(a.payload, RouteSpec)
    # a new route in the node's own namespace must not take the place of one that appeared
    # since the plan (it would be another tool's): there, only a planned replace replaces
    replace = a.payload.replace or a.netns is not None
    msg = _route_msg(ex, a.netns, a.payload.route, RTM_NEWROUTE, NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL))
    return [_Request(a.netns, msg, a)], []


def _delete_route(ex: Executor, a: Action) -> Built:
    assert isinstance(a.payload, RouteSpec)
    msg = _route_msg(ex, a.netns, a.payload.route, RTM_DELROUTE, 0)
    return [_Request(a.netns, msg, a, tolerate_gone=True)], []


_LOCAL: dict[Op, Callable[[Executor, Action], None]] = {
    Op.CREATE_NETNS: _create_netns,
    Op.ADOPT_NETNS: _adopt_netns,
    Op.DELETE_NETNS: _delete_netns,
    Op.DELETE_LINK: _delete_link,
    Op.SET_SYSCTL: _set_sysctl,
    Op.WRITE_HOSTS: _write_hosts,
    Op.REMOVE_HOSTS: _write_hosts,
    Op.START_PROCESS: _start_process,
    Op.STOP_PROCESS: _stop_process,
}

PARALLEL = frozenset({Op.DELETE_NETNS})
"""Local phases whose actions do not depend on each other (run on threads)."""
PARALLEL_WORKERS = 16
PARALLEL_CHUNK = 256


def _attempt(fn: Callable[[Executor, Action], None], ex: Executor, action: Action) -> OSError | None:
    try:
        fn(ex, action)
    except OSError as exc:
        return exc
    return None


TAIL = frozenset({Op.SET_LINK, Op.SET_SYSCTL, Op.ADD_ADDRESS, Op.SET_ROUTE})
"""Phases whose requests stay inside one namespace: sent together, one batch per namespace."""

_BUILDERS: dict[Op, Callable[[Executor, Action], Built]] = {
    Op.CREATE_BRIDGE: _create_bridge,
    Op.CREATE_VETH: _create_veth,
    Op.CREATE_VXLAN: _create_vxlan,
    Op.ADD_FDB: _add_fdb,
    Op.DELETE_FDB: _delete_fdb,
    Op.SET_LINK: _set_link,
    Op.ADD_ADDRESS: _add_address,
    Op.DELETE_ADDRESS: _delete_address,
    Op.SET_ROUTE: _set_route,
    Op.DELETE_ROUTE: _delete_route,
}
