"""`topo show`: the lab's live objects as rows, printed as a rich table or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ..live import LiveState
from ..names import escape
from ..model import Topology

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class Row:
    namespace: str
    interface: str
    kind: str
    addresses: tuple[str, ...]
    peer: str
    master: str
    mtu: int | None
    state: str
    impair: str = ""  # what the interface sends with (kinds/impair): `tbf: rate 10mbit`
    alias: str = ""  # the kernel's alias of the link (topo's mark `topo:LAB`, or another tool's)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["addresses"] = list(self.addresses)
        return data


def inventory_rows(topo: Topology, node: str, live: LiveState) -> list[Row]:
    """One row per interface the lab declares, with what the kernel says about it."""
    from ..kinds.impair.show import live_impairments

    rows = []
    impaired = live_impairments(topo, node, live)
    n = topo.nodes[node]
    peers = {}
    for pair in topo.veths:
        peers[(pair.a.place.netns, pair.a.ifname)] = f"{pair.b.place.netns or '(root)'}:{pair.b.ifname}"
        peers[(pair.b.place.netns, pair.b.ifname)] = f"{pair.a.place.netns or '(root)'}:{pair.a.ifname}"
    for ns in n.all_netns():
        name = ns.place.netns
        lns = live.netns(name)
        label = name or "(root)"
        if name is not None and lns is None:
            rows.append(Row(label, "-", "namespace", (), "", "", None, "missing"))
            continue
        for iface in sorted(ns.interfaces.values(), key=lambda i: (i.kind != "loopback", i.name)):
            link = lns.links.get(iface.name) if lns else None
            if link is None:
                rows.append(Row(label, iface.name, iface.kind, (), peers.get((name, iface.name), ""), iface.master or "", None, "missing"))
                continue
            addrs = tuple(sorted(str(a) for a in lns.addresses.get(iface.name, set()) if not (a.version == 6 and a.ip.is_link_local)))  # type: ignore[union-attr]
            rows.append(Row(label, link.name, link.kind or "device", addrs, peers.get((name, iface.name), ""),
                            link.master or "", link.mtu, "up" if link.up else "down", impaired.get((name, iface.name), ""),
                            link.alias or ""))
    return rows


def render_table(console: "Console", title: str, rows: list[Row], wide: bool = False) -> None:
    """The interfaces' table; `wide`: their aliases too."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False)
    impair = any(r.impair for r in rows)
    for col in ("namespace", "interface", "kind", "addresses", "peer", "master", "mtu", "state", *(("impair",) if impair else ()),
                *(("alias",) if wide else ())):
        table.add_column(col)
    for r in rows:
        state = {"up": "[green]up[/]", "down": "[yellow]down[/]", "missing": "[red]missing[/]"}[r.state]
        # names come from the kernel too: control characters escaped, never read as rich markup
        cells = [Text(escape(c)) for c in (r.namespace, r.interface, r.kind)]
        cells.append(Text("\n".join(escape(a) for a in r.addresses)))
        cells += [Text(escape(c)) for c in (r.peer, r.master)]
        table.add_row(*cells, str(r.mtu) if r.mtu else "", state, *((Text(escape(r.impair)),) if impair else ()),
                      *((Text(escape(r.alias)),) if wide else ()))
    console.print(table)
