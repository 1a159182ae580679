"""Executor: performs a plan's actions on the kernel, phase by phase, through the namespace pool.

Generic: each action's op (declared by its kind) says how it is done, locally (`run`) or as
netlink requests (`encode`). Actions of one phase are independent of each other, so the
requests of a phase are grouped by namespace and sent pipelined (`RtnlSocket.batch`): one
round trip per namespace and phase instead of one per object; the CONFIGURE stage's phases
(settings inside one namespace each) are queued together into one batch per namespace.
File and namespace operations run one by one, or on threads for a `parallel` op. A failure
stops the run and names the action and the object (`ActionFailed`); what was done before
stays done, so applying again after fixing the cause converges. Deleting something already
gone counts as done. SIGINT/SIGTERM stop the run between steps (`Interrupted`).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Callable

from .core.plan import Action, ActionFailed, Op, Plan, Stage
from .core.registry import Registry
from .core.requests import Request
from .interrupt import Interrupted, StopFlag
from .kinds.registry import REGISTRY
from .netns import NetnsPool
from .rtnl import is_gone

PARALLEL_WORKERS = 16
PARALLEL_CHUNK = 256
FD_CHUNK = 1000
"""At most this many namespace fds (a new veth's peer namespace) are held open before the
requests built so far are sent and the fds closed: a phase of 10,000 veths would otherwise hold
10,000 fds besides a socket per namespace, past a common 20,000-file limit."""


def _queued(op: Op) -> bool:
    """Ops whose requests stay inside one namespace and whose links exist already: queued so
    that each namespace gets one batch for all of them."""
    return op.stage is Stage.CONFIGURE


@dataclass
class Executor:
    pool: NetnsPool
    lab: str
    progress: Callable[[Action], None] | None = None
    done: list[Action] = field(default_factory=list)
    stop: StopFlag | None = None
    open_fds: list[int] = field(default_factory=list)
    registry: Registry = REGISTRY
    # what an op knows the kernel holds as the file says, by the kind's key in the record's
    # `verified` (the kind's fingerprints): the verification after the run goes by it
    verified: dict[str, str] = field(default_factory=dict)
    _queued: list[Request] = field(default_factory=list)
    _queued_actions: list[Action] = field(default_factory=list)
    _indexes: dict[str | None, dict[str, int]] = field(default_factory=dict)

    def run(self, plan: Plan) -> None:
        for _, group in itertools.groupby(plan.actions, key=lambda a: self.registry.phase(a.op)):
            actions = list(group)
            if not _queued(actions[0].op):
                self.flush()
                self.check_stop()
            self.run_phase(actions)
        self.flush()

    def check_stop(self) -> None:
        """Between steps: stop here if SIGINT or SIGTERM arrived."""
        if self.stop is not None and self.stop.signame is not None:
            raise Interrupted(self.stop.signame, len(self.done))

    def flush(self) -> None:
        """Send what the queued phases gathered: one batch per namespace."""
        queued, self._queued = self._queued, []
        self.send(queued)
        for action in self._queued_actions:
            self.finish(action)
        done, self._queued_actions = self._queued_actions, []
        self.follow_up(done)

    def follow_up(self, actions: list[Action]) -> None:
        """Each op's `after` for its actions that were just done."""
        by_op: dict[Op, list[Action]] = {}
        for action in actions:
            if action.op.after is not None:
                by_op.setdefault(action.op, []).append(action)
        for op, done in by_op.items():
            assert op.after is not None
            op.after(self, done)

    def run_phase(self, actions: list[Action]) -> None:
        op = actions[0].op
        if _queued(op):
            for action in actions:
                first, then = self.build(action, check=False)
                if action.op.run is None:
                    self._queued += first + then
                    self._queued_actions.append(action)
            return
        if op.parallel and len(actions) > 1:
            self.run_parallel(actions)
            return
        if op.prepare is not None:
            actions = op.prepare(self, actions)
        requests: list[Request] = []
        followups: list[Request] = []
        for action in actions:
            first, then = self.build(action, check=True)
            requests += first
            followups += then
            if len(self.open_fds) >= FD_CHUNK:
                self.send_and_close(requests)
                requests = []
        self.send_and_close(requests)
        self._queued += followups  # e.g. bringing up a new veth's peer: with its namespace's batch
        for action in actions:
            if action.op.run is None:
                self.finish(action)
        self.follow_up([a for a in actions if a.op.run is None])

    def send_and_close(self, requests: list[Request]) -> None:
        """Send `requests`, then close the namespace fds they name (the kernel has read them)."""
        try:
            self.send(requests)
        finally:
            for fd in self.open_fds:
                os.close(fd)
            self.open_fds.clear()

    def build(self, action: Action, check: bool) -> tuple[list[Request], list[Request]]:
        """Do a local action now (and count it done), or return a netlink one's requests."""
        try:
            if action.op.run is not None:
                if check:
                    self.check_stop()
                action.op.run(self, action)
                self.finish(action)
                return [], []
            assert action.op.encode is not None
            return action.op.encode(self, action)  # type: ignore[no-any-return]
        except OSError as exc:
            raise ActionFailed(action, exc) from exc

    def run_parallel(self, actions: list[Action]) -> None:
        """Independent local actions (unpinning namespaces) on a few threads: the kernel's
        teardown of one namespace then overlaps the next one's (about 7x faster for 500)."""
        from concurrent.futures import ThreadPoolExecutor

        run = actions[0].op.run
        assert run is not None
        for start in range(0, len(actions), PARALLEL_CHUNK):
            self.check_stop()  # between chunks: a stop leaves whole steps done, as elsewhere
            chunk = actions[start:start + PARALLEL_CHUNK]
            with ThreadPoolExecutor(max_workers=PARALLEL_WORKERS) as pool:
                errors = list(pool.map(lambda a: _attempt(run, self, a), chunk))
            for action, err in zip(chunk, errors):
                if err is not None:
                    raise ActionFailed(action, err) from err
                self.finish(action)

    def send(self, requests: list[Request]) -> None:
        by_netns: dict[str | None, list[Request]] = {}
        for req in requests:
            by_netns.setdefault(req.netns, []).append(req)
        for netns, reqs in by_netns.items():
            self.check_stop()
            errors = self.pool.socket(netns).batch([r.msg for r in reqs])
            self._indexes.pop(netns, None)
            for req, err in zip(reqs, errors):
                if err is not None and not (req.tolerate_gone and is_gone(err)):
                    raise ActionFailed(req.action, err)

    def finish(self, action: Action) -> None:
        self.done.append(action)
        if self.progress is not None:
            self.progress(action)

    def index(self, netns: str | None, ifname: str) -> int:
        """A link's ifindex (dumped once per namespace, until a request changes it)."""
        cache = self._indexes.get(netns)
        if cache is None or ifname not in cache:
            cache = {link.name: link.index for link in self.pool.socket(netns).links()}
            self._indexes[netns] = cache
        try:
            return cache[ifname]
        except KeyError:
            raise OSError(19, f"no interface {ifname}") from None

    def forget_indexes(self, *namespaces: str | None) -> None:
        """Links changed behind the cache: of these namespaces, or (none named) of all."""
        if not namespaces:
            self._indexes.clear()
        for netns in namespaces:
            self._indexes.pop(netns, None)


def _attempt(fn: Callable[[Executor, Action], None], ex: Executor, action: Action) -> OSError | None:
    try:
        fn(ex, action)
    except OSError as exc:
        return exc
    return None
