"""`topo ui`: serve the live page of a lab on this machine (provisioner/ui/)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

from ..sourcefile import is_stdin
from .common import fail, file_argument, node_option, node_roots, pick_node, require_root, template_options, valid_topology

LOOPBACK_NAMES = {"localhost": "127.0.0.1"}


def _address(host: str, allow_remote: bool) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address to listen on: a loopback one, or with --allow-remote any address of this machine
    (an address, never a name: no lookup)."""
    try:
        addr = ipaddress.ip_address(LOOPBACK_NAMES.get(host, host))
    except ValueError:
        fail(f"error: --host {host} is not an IP address (give 127.0.0.1, ::1 or, with --allow-remote, an address of this machine)")
    if not addr.is_loopback and not allow_remote:
        fail(f"error: --host {host} is not a loopback address: the page would show the lab to anyone who can reach "
             "this machine; topo ui listens on 127.0.0.1 unless you add --allow-remote")
    return addr


def _listen(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> socket.socket:
    family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((str(addr), port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        fail(f"error: cannot listen on {addr} port {port}: {exc.strerror}; choose another --port (0: any free one)")
    return sock


@click.command()
@file_argument()
@template_options
@node_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve the page on (loopback only, "
              "unless --allow-remote).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="The port (0: any free one).")
@click.option("--allow-remote", is_flag=True, help="Let --host be an address other machines can reach (the page has no login).")
@click.option("--allow-changes", is_flag=True, help="Offer apply, destroy and run-checks buttons (each shows its plan first); "
              "without it the page never changes the machine.")
def ui(file: Path, var_pairs: tuple[str, ...], vars_files: tuple[Path, ...], node: str | None, host: str, port: int,
       allow_remote: bool, allow_changes: bool) -> None:
    """Serve a live page of FILE's lab: its diagram, each object's kernel state, the drift as
    `topo plan` words it, processes, the last check results and link counters, updated as the
    kernel changes. Read only unless --allow-changes.

    \b
    Examples:
      topo ui topologies/05-flannel-cni0.yaml              # then open the printed URL
      topo ui lab.yaml --port 9000 --allow-changes
    """
    try:
        import uvicorn

        from ..ui.server import Settings, make_app
    except ModuleNotFoundError as exc:
        fail(f"error: topo ui needs the `ui` extra ({exc.name} is not installed): pip install 'topo[ui]'")
    from ..render.graph_web import drawing
    from ..ui.view import Lab

    if is_stdin(file):
        fail("error: topo ui reads FILE again as the page asks for it; give the path of a file, not `-` (standard input)")
    roots = node_roots()
    topo = valid_topology(file, var_pairs, vars_files)
    require_root()
    lab = Lab(file.resolve(), topo, pick_node(topo, node), var_pairs, tuple(p.resolve() for p in vars_files))
    addr = _address(host, allow_remote)
    sock = _listen(addr, port)
    bound = sock.getsockname()[1]
    shown = f"[{addr}]" if addr.version == 6 else str(addr)
    names = {f"{shown}:{bound}", *((f"localhost:{bound}",) if addr.is_loopback else ())}
    app = make_app(Settings(roots, lab, drawing(topo), allow_changes, frozenset(names)))
    mode = "apply, destroy and checks allowed from the page" if allow_changes else "read-only"
    click.echo(f"topo ui: lab {topo.name} at http://{shown}:{bound}/ ({mode}); Ctrl-C to stop", err=False)
    if not addr.is_loopback:
        click.echo(f"warning: serving on {addr}: anyone who can reach it sees the lab"
                   + (" and can change it" if allow_changes else ""), err=True)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
