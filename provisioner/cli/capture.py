"""`topo save` (the machine's state as a topology file) and `topo capture` (packets on a lab
interface). `capture` once meant what `save` does: a state-snapshot invocation of it (no
interface, or save's options) names the new command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from ..diagnostics import TopoError
from .common import (EXIT_OK, fail, file_argument, node_option, node_roots, output_option, pick_node, print_diagnostics,
                     require_root, template_options, valid_topology)

EXIT_USAGE = 2


@click.command(name="save")
@click.option("--name", "lab", default="captured", show_default=True, help="The lab's name in the written file.")
@click.option("--netns", "namespaces", multiple=True, metavar="NS",
              help="Save this namespace (repeatable; default: every namespace under /run/netns).")
@click.option("--include-root/--no-include-root", default=True, show_default=True,
              help="Save the root namespace's bridges and veth ends, the routes through them, its sysctls and "
                   "topo's /etc/hosts entries.")
@click.option("--macs/--no-macs", default=True, show_default=True,
              help="Write each interface's MAC address (without: the kernel picks new ones on apply).")
@output_option("Write the file here (atomically) instead of printing it.")
def save(lab: str, namespaces: tuple[str, ...], include_root: bool, macs: bool, output: Path | None) -> None:
    """Write a topology file that reproduces this machine's namespaces, veths, bridges, addresses,
    routes, forwarding sysctls and hosts entries, also those other tools made (a CNI plugin, ip netns).
    Read only: nothing is created or changed. What save does not write (vxlan, dummy, ifb ... devices,
    veths into unnamed namespaces) is left out with a warning, also named in the file's header; in the
    root namespace only the routes through saved bridges and veth ends are written (the node's own
    routes, e.g. via its uplink, are not a lab's). (Earlier releases called this
    `topo capture`.)

    \b
    Examples:
      topo save -o saved.yaml                     # every namespace, the root's bridges and veths
      topo save --netns pod1 --netns pod2 --name pods -o pods.yaml
      topo plan saved.yaml                        # on this machine: no changes (all unmanaged)
      topo apply --adopt saved.yaml               # take the objects over (no other change)
      topo apply saved.yaml                       # on a clean machine: the same state
    """
    from ..capture import CaptureError, capture as capture_live
    from ..capture_check import checked_file
    from ..hostsfile import write_atomic

    roots = node_roots()
    require_root()
    try:
        cap = capture_live(roots, lab, namespaces, include_root, macs)
    except CaptureError as exc:
        raise TopoError(f"error: {exc}")
    for item in cap.skipped:
        click.echo(f"warning: not saved: {item}", err=True)
    try:
        checked = checked_file(cap, output)
    except TopoError as exc:
        print_diagnostics(exc.diagnostics)
        raise
    print_diagnostics(list(checked.warnings))
    if output is None:
        sys.stdout.write(checked.text)
        return
    write_atomic(output, checked.text)
    click.echo(f"Saved {cap.summary()} into {output}" + (f" ({len(cap.skipped)} objects not saved, see above)" if cap.skipped else "")
               + ".", err=True)


RENAMED = ("error: `topo capture` captures packets now: topo capture FILE [NS:]IF [-w OUT.pcapng] [-- FILTER]\n"
           "  hint: to write a topology file of this machine's state (what `topo capture` did before), "
           "run `topo save` with the same options")


def _old_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """save's options, hidden: given to capture, they only make it name `topo save`."""
    for decl in (("--name", "old_name"), ("--netns", "old_netns"), ("-o", "--output", "old_output")):
        fn = click.option(*decl, hidden=True, multiple=True, default=())(fn)
    for flag in ("--include-root/--no-include-root", "--macs/--no-macs"):
        fn = click.option(flag, "old_" + flag[2:].split("/")[0].replace("-", "_"), hidden=True, default=None)(fn)
    return fn


@click.command(name="capture", context_settings={"allow_interspersed_args": True})
@file_argument(required=False)
@click.argument("interface", required=False, metavar="[NS:]IF")
@click.argument("bpf", nargs=-1, metavar="[-- FILTER]")
@template_options
@node_option
@click.option("-w", "write", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="OUT",
              help="Write the packets to OUT (pcapng if it ends in .pcapng, else pcap) instead of printing them.")
@click.option("-c", "--count", type=click.IntRange(min=1), default=None, help="Stop after this many packets.")
@_old_option
def capture(file: Path | None, interface: str | None, bpf: tuple[str, ...], var_pairs: tuple[str, ...],
            vars_files: tuple[Path, ...], node: str | None, write: Path | None, count: int | None, **old: object) -> None:
    """Capture packets on a lab interface, inside its namespace (tcpdump), until Ctrl-C (or -c N).

    IF alone names the lab's only interface of that name; NS:IF one in namespace NS, host:IF one
    in the node's root namespace (a bridge, a veth end). Only the lab's interfaces, once applied:
    never the machine's own. After `--`, a tcpdump filter expression.

    \b
    Examples:
      topo capture lab.yaml pod-a:eth0                      # text, until Ctrl-C
      topo capture lab.yaml cni0 -w cni0.pcapng -- icmp     # a file for Wireshark
      topo capture lab.yaml pod-b:eth0 -c 10 -- udp port 53
    """
    from ..pcap import find_target, run_capture
    from ..state import load_record

    if interface is None or any(v not in ((), None) for v in old.values()):
        fail(RENAMED, status=EXIT_USAGE)
    assert file is not None
    roots = node_roots()
    topo = valid_topology(file, var_pairs, vars_files)
    node_name = pick_node(topo, node)
    target = find_target(topo, node_name, interface, file)
    require_root()
    rec = load_record(roots, topo.name)
    if rec is None or (target.netns is not None and target.netns not in rec.namespaces):
        fail(f"error: lab {topo.name} is not applied on this machine (no {target} of it here); run `topo apply {file}` first")
    outcome = run_capture(target, count, bpf, write)
    if outcome.status != EXIT_OK:
        fail(f"error: tcpdump on {target} exited with status {outcome.status} (its message is above)")
    if write is not None:
        click.echo(f"Captured {outcome.packets} packets on {target} into {write}.", err=True)
