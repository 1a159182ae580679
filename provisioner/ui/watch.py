"""The page's heartbeat: a thread that recomputes the lab's state document when the kernel
reports a change in one of the lab's namespaces (at once) and every second (the counters), and
hands it to the streams of the open pages (`Hub`)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import TopoError
from ..netns import NetnsPool
from ..render.graph_web import Drawing
from ..roots import Roots
from .netlink import Counters, Listener, link_counters, listen, wait_events
from .view import Lab, lab_view

TICK = 1.0  # seconds between two documents when nothing happens (the counters' pace)
SETTLE = 0.03  # after an event, how long to wait for the rest of its burst


@dataclass
class Hub:
    """The latest state document (JSON text) and the queues of the pages that stream it."""

    loop: asyncio.AbstractEventLoop
    latest: str | None = None
    queues: set["asyncio.Queue[str]"] = field(default_factory=set)

    def publish(self, text: str) -> None:
        """From any thread: make `text` the latest document and send it to every page."""
        self.loop.call_soon_threadsafe(self._deliver, text)

    def _deliver(self, text: str) -> None:
        self.latest = text
        for queue in self.queues:
            if queue.full():  # a slow page gets the newest document, not a backlog
                queue.get_nowait()
            queue.put_nowait(text)

    def subscribe(self) -> "asyncio.Queue[str]":
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=2)
        if self.latest is not None:
            queue.put_nowait(self.latest)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue: "asyncio.Queue[str]") -> None:
        self.queues.discard(queue)


def read_state(roots: Roots, lab: Lab, drawing: Drawing) -> dict[str, Any]:
    """The state document now: the live objects, the plan, the counters (read only)."""
    from ..engine import plan_node, read_node

    live = read_node(roots, lab.topo, lab.node)
    plan = plan_node(roots, lab.topo, lab.node)
    counters: dict[str | None, dict[str, Counters]] = {}
    with NetnsPool(roots) as pool:
        for name in _namespaces(lab):
            try:
                counters[name] = link_counters(pool.socket(name))
            except FileNotFoundError:
                continue
    return lab_view(roots, lab, drawing, live, plan, counters)


def _namespaces(lab: Lab) -> list[str | None]:
    return [None, *lab.topo.nodes[lab.node].namespaces]


@dataclass
class Watcher:
    """Runs `loop` on its own thread; `paused` (while the page changes the machine) closes its
    subscriptions, which would otherwise keep a deleted namespace alive."""

    roots: Roots
    lab: Lab
    drawing: Drawing
    hub: Hub
    stopping: threading.Event = field(default_factory=threading.Event)
    paused: threading.Event = field(default_factory=threading.Event)
    idle: threading.Event = field(default_factory=threading.Event)  # set while paused and closed

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.loop, name="topo-ui-watch", daemon=True)
        thread.start()
        return thread

    def loop(self) -> None:
        home_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        listeners: dict[str | None, Listener] = {}
        try:
            while not self.stopping.is_set():
                if self.paused.is_set():
                    _close(listeners)
                    self.idle.set()
                    time.sleep(0.05)
                    continue
                self.idle.clear()
                self._follow(listeners, home_fd)
                self.hub.publish(json.dumps(self._document()))
                if wait_events(list(listeners.values()), TICK):
                    time.sleep(SETTLE)
                    wait_events(list(listeners.values()), 0)
        finally:
            _close(listeners)
            os.close(home_fd)

    def _document(self) -> dict[str, Any]:
        try:
            return read_state(self.roots, self.lab, self.drawing)
        except (TopoError, OSError, ValueError) as exc:
            return {"lab": self.lab.topo.name, "error": str(exc), "time": time.time()}

    def _follow(self, listeners: dict[str | None, Listener], home_fd: int) -> None:
        """Listen in each of the lab's namespaces that exists now (again, if it was made anew)."""
        for name in _namespaces(self.lab):
            try:
                inode = os.stat("/proc/thread-self/ns/net").st_ino if name is None else \
                    os.stat(self.roots.netns_run / name, follow_symlinks=False).st_ino
            except FileNotFoundError:
                inode = None
            have = listeners.get(name)
            if have is not None and have.inode != inode:
                have.sock.close()
                del listeners[name]
            if inode is not None and name not in listeners:
                try:
                    listeners[name] = listen(self.roots.netns_run, name, home_fd)
                except (FileNotFoundError, OSError):
                    continue


def _close(listeners: dict[str | None, Listener]) -> None:
    for item in listeners.values():
        item.sock.close()
    listeners.clear()
