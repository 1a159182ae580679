"""The page's web app (Starlette, served by uvicorn on a loopback address).

GET  /                 the page;  /static/...  its script, styles and Cytoscape (vendored)
GET  /api/drawing      the lab's diagram (Cytoscape elements, placed by Graphviz)
GET  /api/state        the latest state document;  /events  the same, pushed (server-sent events)
GET  /api/plan?for=X   what apply / destroy would do, or which checks would run (read only)
GET  /api/capture?iface=ID&seconds=S&count=N[&format=pcapng]   a capture download (capture.py; read only)
POST /api/{apply,destroy,check}   only with --allow-changes (else 403), and with the page's token

Every request must name the served address in its Host header (no DNS rebinding), and a
change needs the token the page was given (no cross-site request can read it)."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..render.graph_web import Drawing
from ..roots import Roots
from .capture import DEFAULT_SECONDS
from .view import Lab
from .watch import Hub, Watcher

STATIC = Path(__file__).parent / "static"
CHANGES = ("apply", "destroy", "check")
HEARTBEAT = 15.0  # seconds between keep-alive comments on a quiet stream
CHANGE_TIMEOUT = 600.0
CAPTURES_AT_ONCE = 2  # tcpdumps the page runs at the same time; more requests wait for none, they get 429


@dataclass
class Settings:
    roots: Roots
    lab: Lab
    drawing: Drawing
    allow_changes: bool
    hosts: frozenset[str]  # the Host headers the page is served under ("127.0.0.1:8765", "localhost:8765")
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    changing: threading.Lock = field(default_factory=threading.Lock)
    capturing: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(CAPTURES_AT_ONCE))


def _refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _page(settings: Settings) -> str:
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    lab = settings.lab
    config = json.dumps({"token": settings.token, "allowChanges": settings.allow_changes, "node": lab.node,
                         "nodes": sorted(lab.topo.nodes), "captureSeconds": DEFAULT_SECONDS}).replace("</", "<\\/")
    assets = ('<link rel="stylesheet" href="/static/style.css">\n'
              '<script src="/static/vendor/cytoscape.min.js"></script>\n'
              f"<script>window.TOPO_CONFIG = {config};</script>\n"
              '<script src="/static/app.js"></script>')
    head, _, rest = text.partition("<!-- assets -->")
    _, _, tail = rest.partition("<!-- /assets -->")
    return head + assets + tail


def _plan_preview(settings: Settings, what: str) -> dict[str, object]:
    """What a change would do, as `topo plan` (or `plan --destroy`) says it; for check, the checks."""
    from ..engine import plan_destroy_node, plan_node
    from ..names import escape
    from ..render.plan import action_line, summary_line

    lab = settings.lab
    if what == "check":
        return {"for": what, "lines": [f"{c.name}: from {c.place.netns or c.place.node} to {c.target}" for c in lab.topo.checks],
                "summary": f"{len(lab.topo.checks)} check(s) to run; nothing on the machine changes"}
    plan = plan_destroy_node(settings.roots, lab.topo.name, lab.node) if what == "destroy" else \
        plan_node(settings.roots, lab.topo, lab.node)
    return {"for": what, "lines": [escape(action_line(a)) for a in plan.actions], "summary": summary_line(plan)}


def _capture(settings: Settings, params: dict[str, str]) -> Response:
    """A capture on one of the lab's interfaces, as a download (capture.py); refusals as JSON."""
    from ..diagnostics import TopoError
    from ..state import load_record
    from .capture import BadCapture, capture_request, chunks, run_to_file

    lab = settings.lab
    try:
        req = capture_request(lab, params)
    except BadCapture as exc:
        return _refused(exc.status, str(exc))
    if load_record(settings.roots, lab.topo.name) is None:
        return _refused(409, f"lab {lab.topo.name} is not applied on this machine: nothing to capture on {req.target}")
    if not settings.capturing.acquire(blocking=False):
        return _refused(429, f"{CAPTURES_AT_ONCE} captures are running already; try again when one has ended")
    try:
        out, packets = run_to_file(req)
    except TopoError as exc:
        return _refused(409, str(exc).removeprefix("error: "))
    finally:
        settings.capturing.release()
    return StreamingResponse(chunks(out), media_type="application/vnd.tcpdump.pcap",
                             headers={"Content-Disposition": f'attachment; filename="{req.filename}"',
                                      "X-Topo-Packets": str(packets), "Cache-Control": "no-store"})


def _run_change(settings: Settings, watcher: Watcher, what: str) -> dict[str, object]:
    """Run `topo WHAT FILE` (the CLI, with its lock, verification and records), with the
    watcher's subscriptions closed meanwhile."""
    with settings.changing:
        watcher.paused.set()
        try:
            watcher.idle.wait(timeout=5.0)
            try:
                res = subprocess.run([sys.executable, "-m", "provisioner", *settings.lab.argv(what)], capture_output=True,
                                     text=True, timeout=CHANGE_TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                return {"for": what, "exit": None, "output": f"topo {what} took over {CHANGE_TIMEOUT:.0f} s and was stopped"}
        finally:
            watcher.paused.clear()
    return {"for": what, "exit": res.returncode, "output": res.stdout + res.stderr}


async def _events(hub: Hub) -> AsyncIterator[str]:
    queue = hub.subscribe()
    try:
        while True:
            try:
                text = await asyncio.wait_for(queue.get(), HEARTBEAT)
            except asyncio.TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield f"event: state\ndata: {text}\n\n"
    finally:
        hub.unsubscribe(queue)


def make_app(settings: Settings) -> Starlette:
    """The app; its watcher starts with it and stops when it shuts down."""
    state: dict[str, object] = {}  # the running hub and watcher (made on startup, on the server's loop)

    def hub() -> Hub:
        return state["hub"]  # type: ignore[return-value]

    def watcher() -> Watcher:
        return state["watcher"]  # type: ignore[return-value]

    async def page(request: Request) -> Response:
        return HTMLResponse(_page(settings))

    async def drawing(request: Request) -> Response:
        return JSONResponse(settings.drawing.to_json())

    async def current(request: Request) -> Response:
        latest = hub().latest
        return Response(latest or "{}", media_type="application/json")

    async def events(request: Request) -> Response:
        return StreamingResponse(_events(hub()), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def preview(request: Request) -> Response:
        what = request.query_params.get("for", "apply")
        if what not in CHANGES:
            return _refused(400, f"for= must be one of {', '.join(CHANGES)}")
        return JSONResponse(await asyncio.to_thread(_plan_preview, settings, what))

    async def capture(request: Request) -> Response:
        return await asyncio.to_thread(_capture, settings, dict(request.query_params))

    async def change(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in CHANGES:
            return _refused(404, f"no such change: {what}")
        if not settings.allow_changes:
            return _refused(403, f"read-only: this page does not change the machine; start `topo ui` with "
                                 f"--allow-changes to {what} from it")
        if request.headers.get("x-topo-token") != settings.token:
            return _refused(403, "this request does not come from the page (no token)")
        if settings.changing.locked():
            return _refused(409, "another change from this page is still running")
        return JSONResponse(await asyncio.to_thread(_run_change, settings, watcher(), what))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["hub"] = Hub(asyncio.get_running_loop())
        state["watcher"] = Watcher(settings.roots, settings.lab, settings.drawing, hub())
        watcher().start()
        try:
            yield
        finally:
            watcher().stopping.set()

    app = Starlette(routes=[
        Route("/", page), Route("/api/drawing", drawing), Route("/api/state", current), Route("/events", events),
        Route("/api/plan", preview), Route("/api/capture", capture), Route("/api/{what}", change, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ], lifespan=lifespan)
    return _host_checked(app, settings.hosts)


def _host_checked(app: Starlette, hosts: frozenset[str]) -> Starlette:
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=sorted({h.rsplit(":", 1)[0].strip("[]") for h in hosts}))
    return app
